"""What a source holds, the pool of its 0/1 images, and the 2018 selection of training and test images from it."""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass

import numpy as np

from reportgen.errors import ConfigError, DataError

SIDE = 28
PIXELS = SIDE * SIDE


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not element-wise
class SourceImages:
    """Every image and label one source holds, in file order; the pools take their digits from it."""

    images: np.ndarray  # (N, 784) uint8, read-only
    labels: np.ndarray  # (N,) integers, read-only
    source: str  # "embedded" | "idx" | "npz"
    path: str  # "" for embedded
    split: str  # "test" | "train"; "" for the embedded sample, which has no split
    origin: str  # names the data in descriptions, e.g. "MNIST t10k (IDX files in /x)"
    labels_file: str  # where the labels were read, for error messages


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not element-wise
class Pool:
    """The 0/1 images of one source, zeros then ones; arrays are read-only."""

    images: np.ndarray  # (N, 784) uint8
    labels: np.ndarray  # (N,) uint8, 0s then 1s
    source: str  # "embedded" | "idx" | "npz"
    description: str  # e.g. "MNIST t10k (IDX files in /x), 980 zeros + 1135 ones"
    path: str  # "" for embedded
    split: str = ""  # "test" | "train"; "" for the embedded sample, which has no split

    @property
    def zeros(self) -> int:
        return int(np.count_nonzero(self.labels == 0))

    @property
    def ones(self) -> int:
        return len(self.labels) - self.zeros


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not element-wise
class Split:
    X_train: np.ndarray  # (n_train, 784) float64 in [0, 1]
    y_train: np.ndarray  # (n_train, 1) float64
    X_test: np.ndarray  # (n_test, 784) float64 in [0, 1]
    y_test: np.ndarray  # (n_test, 1) float64
    pool_size: int
    fingerprint: str  # sha256 of the selected uint8 pixels and labels
    description: dict  # JSON-able: where the data came from and how it was selected
    train_images: np.ndarray  # (n_train, 784) uint8, for showing a few in the report


def select(pool: Pool, n_train: int = 50, n_test: int = 20, selection_seed: int = 678) -> Split:
    n_train = whole_number("data.n_train", n_train)
    n_test = whole_number("data.n_test", n_test)
    pool_size = len(pool.labels)
    if n_train + n_test > pool_size:
        raise ConfigError(
            f"data.n_train + data.n_test: {n_train} + {n_test} = {n_train + n_test} "
            f"exceeds the {pool_size} images of the pool ({pool.description})"
        )
    try:
        order = np.random.RandomState(selection_seed).permutation(pool_size)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"data.selection_seed: {selection_seed!r} is not a seed NumPy accepts ({error})") from None
    test, train = order[:n_test], order[n_test:n_test + n_train]

    def scaled(indices):
        return pool.images[indices] / 255.0, pool.labels[indices].astype(np.float64).reshape(-1, 1)

    X_train, y_train = scaled(train)
    X_test, y_test = scaled(test)
    return Split(
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        pool_size=pool_size,
        fingerprint=selection_fingerprint(f"mnist01 train {len(train)} test {len(test)}\n", pool.images, pool.labels, train, test),
        description={
            "source": pool.source,
            "description": pool.description,
            "path": pool.path,
            "split": pool.split,
            "n_train": n_train,
            "n_test": n_test,
            "pool_zeros": pool.zeros,
            "pool_ones": pool.ones,
            "selection_seed": int(selection_seed),
        },
        train_images=pool.images[train],
    )


def whole_number(field: str, value, least: int = 1) -> int:
    try:
        number = operator.index(value)  # accepts NumPy integers, refuses 2.5 and "20"
    except TypeError:
        raise ConfigError(f"{field}: {value!r} is not a whole number") from None
    if isinstance(value, bool) or number < least:
        raise ConfigError(f"{field}: {value!r} must be a whole number >= {least}")
    return number


def selection_fingerprint(header: str, images: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> str:
    """sha256 of ``header``, then the training images' uint8 pixels and labels, then the test images'."""
    digest = hashlib.sha256(header.encode("ascii"))
    for indices in (train, test):
        digest.update(np.ascontiguousarray(images[indices]).tobytes())
        digest.update(np.ascontiguousarray(labels[indices]).tobytes())
    return digest.hexdigest()


def require_digits(contents: SourceImages, digits) -> None:
    """A DataError naming the labels file when any of ``digits`` has no image in ``contents``."""
    missing = [str(digit) for digit in digits if not np.any(contents.labels == digit)]
    if missing:
        found = ", ".join(str(value) for value in np.unique(contents.labels)) or "none"
        listed = " or ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
        raise DataError(f"{contents.labels_file}: no digits labelled {listed} (labels found: {found})")


def make_pool(contents: SourceImages) -> Pool:
    """Keep the zeros then the ones, each in file order."""
    require_digits(contents, (0, 1))
    zeros, ones = contents.labels == 0, contents.labels == 1
    pool_images = np.concatenate([contents.images[zeros], contents.images[ones]])
    pool_labels = np.concatenate([np.zeros(zeros.sum(), np.uint8), np.ones(ones.sum(), np.uint8)])
    pool_images.flags.writeable = False
    pool_labels.flags.writeable = False
    return Pool(
        images=pool_images, labels=pool_labels, source=contents.source, path=contents.path, split=contents.split,
        description=f"{contents.origin}, {zeros.sum()} zeros + {ones.sum()} ones",
    )
