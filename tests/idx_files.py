"""Write small MNIST-format files, whole or deliberately broken, for tests.

The IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian uint32 magic
number (2051 images, 2049 labels), one big-endian uint32 per dimension, then
the uint8 items. Every header field can be overridden and the bytes cut short,
so a test can build exactly the corruption it wants.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
PREFIX = {"test": "t10k", "train": "train"}


def digit_images(labels, side: int = 28) -> np.ndarray:
    """Distinct, recognisable uint8 images: item i is filled with (label * 20 + i) % 256."""
    labels = np.asarray(labels)
    values = (labels.astype(np.int64) * 20 + np.arange(len(labels))) % 256
    return np.broadcast_to(values[:, None, None], (len(labels), side, side)).astype(np.uint8)


def image_bytes(images, *, magic: int = IMAGES_MAGIC, count: int | None = None) -> bytes:
    images = np.asarray(images, dtype=np.uint8)
    count = len(images) if count is None else count
    header = np.array([magic, count, *images.shape[1:]], dtype=">u4")
    return header.tobytes() + images.tobytes()


def label_bytes(labels, *, magic: int = LABELS_MAGIC, count: int | None = None) -> bytes:
    labels = np.asarray(labels, dtype=np.uint8)
    count = len(labels) if count is None else count
    return np.array([magic, count], dtype=">u4").tobytes() + labels.tobytes()


def write(path: Path, data: bytes, *, compress: bool = False) -> Path:
    """Write ``data`` to ``path``, gzipped to ``path.gz`` when ``compress``; returns the file written."""
    path = Path(path)
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def write_split(directory: Path, split: str, labels, *, images=None, compress: bool = False) -> tuple[Path, Path]:
    """Write a consistent images/labels pair for ``split`` ("test" or "train"); returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    images = digit_images(labels) if images is None else images
    prefix = PREFIX[split]
    return (
        write(directory / f"{prefix}-images-idx3-ubyte", image_bytes(images), compress=compress),
        write(directory / f"{prefix}-labels-idx1-ubyte", label_bytes(labels), compress=compress),
    )


def write_keras_npz(path: Path, **arrays) -> Path:
    """A Keras-style mnist.npz holding exactly the arrays given (x_train, y_train, x_test, y_test)."""
    path = Path(path)
    np.savez_compressed(path, **arrays)
    return path


def write_gzip_bomb(path: Path, header: bytes, inflated_bytes: int) -> Path:
    """A gzip file of ``header`` then ``inflated_bytes`` zero bytes: a few hundred KB that inflate to far more
    than the header declares, written in chunks so the test never holds it in memory."""
    chunk = bytes(2**22)
    with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as stream:
        stream.write(header)
        for _ in range(inflated_bytes // len(chunk)):
            stream.write(chunk)
    return Path(path)


def write_npz_bomb(path: Path, shape: tuple[int, ...], inflated_bytes: int, descr: str = "|u1") -> Path:
    """A Keras-style npz whose ``x_test.npy`` header declares ``shape`` of ``descr`` but whose data, deflated,
    is ``inflated_bytes`` zero bytes: the header and the data disagree. ``y_test`` is 12 small labels."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    chunk = bytes(2**22)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("x_test.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(inflated_bytes // len(chunk)):
                member.write(chunk)
        labels = io.BytesIO()
        np.save(labels, np.zeros(12, dtype=np.uint8))
        archive.writestr("y_test.npy", labels.getvalue())
    return Path(path)
