"""Several digits at once: the images of chosen digits a source holds, and a held-out split stratified by digit.

``digit_pool`` keeps the images labelled with the chosen digits (default 0-9),
in the source's order. ``hold_out`` then takes the same number of images of
every digit: digit d's images, in pool order, are permuted by a PCG64 stream
from child d of ``SeedSequence(selection_seed)`` (spawn key (d,)); the first
``test_per_digit`` are held out and the next ``train_per_digit`` train. A
digit's draw depends on nothing but the seed and that digit, so its held-out
images stay the same when the other digits or the training size change. The
training and test sets are each shuffled last, by ``SeedSequence(selection_seed)``
itself, so that a batch mixes the digits.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from reportgen.data.pool import SourceImages, require_digits, selection_fingerprint, whole_number
from reportgen.errors import ConfigError

DIGITS = tuple(range(10))


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not element-wise
class DigitPool:
    """The images of the chosen digits one source holds, in file order; arrays are read-only."""

    images: np.ndarray  # (N, 784) uint8
    labels: np.ndarray  # (N,) uint8, the digits
    digits: tuple[int, ...]  # ascending
    counts: tuple[int, ...]  # images of each digit, in the order of ``digits``
    source: str  # "embedded" | "idx" | "npz"
    path: str  # "" for embedded
    split: str  # the file split read: "test" | "train"; "" for the embedded sample
    description: str  # e.g. "MNIST t10k (IDX files in /x), digits 0-9: 10000 images, 892 to 1135 per digit"


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity, not element-wise
class HeldOut:
    """Training images and disjoint held-out test images, the same number of each digit in both."""

    X_train: np.ndarray  # (n_train, 784) float64 in [0, 1]
    y_train: np.ndarray  # (n_train,) int64 class index: the image shows digit digits[y]
    X_test: np.ndarray  # (n_test, 784) float64 in [0, 1]
    y_test: np.ndarray  # (n_test,) int64 class index
    digits: tuple[int, ...]  # ascending; equal to the class indices for the default 0-9
    fingerprint: str  # sha256 of the chosen digits, the sizes and the selected uint8 pixels and labels
    description: dict  # JSON-able: where the data came from and how it was split


def _chosen_digits(digits) -> tuple[int, ...]:
    """``digits`` checked and sorted: at least two distinct whole numbers 0-9."""
    try:
        given = list(digits)
        values = [operator.index(digit) for digit in given]  # refuses 2.5 and "3"
    except TypeError:
        raise ConfigError(f"data.digits: {digits!r} is not a list of whole numbers 0-9") from None
    for digit, value in zip(given, values):
        if isinstance(digit, bool) or not 0 <= value <= 9:
            raise ConfigError(f"data.digits: {digit!r} is out of range: a digit is a whole number 0-9")
        if values.count(value) > 1:
            raise ConfigError(f"data.digits: {value} is given twice")
    if len(values) < 2:
        raise ConfigError(f"data.digits: {given!r} names fewer than two digits; a classifier needs at least two")
    return tuple(sorted(values))


def digit_pool(contents: SourceImages, digits=DIGITS) -> DigitPool:
    chosen = _chosen_digits(digits)
    require_digits(contents, chosen)
    keep = np.isin(contents.labels, chosen)
    images, labels = contents.images[keep], contents.labels[keep].astype(np.uint8)
    images.flags.writeable = False
    labels.flags.writeable = False
    counts = tuple(int(np.count_nonzero(labels == digit)) for digit in chosen)
    return DigitPool(
        images=images, labels=labels, digits=chosen, counts=counts,
        source=contents.source, path=contents.path, split=contents.split,
        description=f"{contents.origin}, digits {_named(chosen)}: {len(labels)} images, {_per_digit(counts)}",
    )


def hold_out(pool: DigitPool, *, train_per_digit: int, test_per_digit: int, selection_seed: int = 0) -> HeldOut:
    train_per_digit = whole_number("data.train_per_digit", train_per_digit)
    test_per_digit = whole_number("data.test_per_digit", test_per_digit)
    selection_seed = whole_number("data.selection_seed", selection_seed, least=0)
    wanted = train_per_digit + test_per_digit
    for digit, count in zip(pool.digits, pool.counts):
        if count < wanted:
            raise ConfigError(
                f"data.train_per_digit + data.test_per_digit: {train_per_digit} + {test_per_digit} = {wanted} "
                f"exceeds the {count} images of digit {digit} ({pool.description})"
            )
    train_parts, test_parts = [], []
    for digit in pool.digits:
        members = np.flatnonzero(pool.labels == digit)
        order = _stream(np.random.SeedSequence(selection_seed, spawn_key=(digit,))).permutation(len(members))
        test_parts.append(members[order[:test_per_digit]])
        train_parts.append(members[order[test_per_digit:wanted]])
    mixing = _stream(np.random.SeedSequence(selection_seed))
    train = mixing.permutation(np.concatenate(train_parts))
    test = mixing.permutation(np.concatenate(test_parts))
    header = f"digits {','.join(map(str, pool.digits))} train {len(train)} test {len(test)}\n"
    class_index = np.searchsorted(pool.digits, pool.labels).astype(np.int64)
    return HeldOut(
        X_train=pool.images[train] / 255.0, y_train=class_index[train],
        X_test=pool.images[test] / 255.0, y_test=class_index[test],
        digits=pool.digits,
        fingerprint=selection_fingerprint(header, pool.images, pool.labels, train, test),
        description={
            "source": pool.source,
            "description": pool.description,
            "path": pool.path,
            "split": pool.split,
            "digits": list(pool.digits),
            "pool_counts": list(pool.counts),
            "train_per_digit": train_per_digit,
            "test_per_digit": test_per_digit,
            "selection_seed": selection_seed,
        },
    )


def _stream(seed_sequence: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed_sequence))


def _named(digits: tuple[int, ...]) -> str:
    """"0-9" for a run of consecutive digits, else "1, 4, 7"."""
    if len(digits) > 2 and digits[-1] - digits[0] == len(digits) - 1:
        return f"{digits[0]}-{digits[-1]}"
    return ", ".join(map(str, digits))


def _per_digit(counts: tuple[int, ...]) -> str:
    fewest, most = min(counts), max(counts)
    return f"{fewest} per digit" if fewest == most else f"{fewest} to {most} per digit"
