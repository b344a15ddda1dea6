"""The data layer: the embedded sample, the IDX and npz readers, and the 2018 selection."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import idx_files
from reportgen import data
from reportgen.training import seeding
from reportgen.errors import ConfigError, DataError

REPOSITORY = Path(__file__).resolve().parent.parent
EMBEDDED_FILE = REPOSITORY / "reportgen" / "data" / "digits.npz"

# A tiny split in file order: zeros at 1, 4, 6; ones at 0, 3, 7; other digits between.
LABELS = np.array([1, 0, 7, 1, 0, 2, 0, 1, 9], dtype=np.uint8)


def pool_from(images: np.ndarray, labels: np.ndarray) -> data.Pool:
    return data.Pool(images=images.reshape(len(labels), 784), labels=labels, source="idx", description="test pool", path="")


# ---------------------------------------------------------------- embedded sample

def test_embedded_pool_is_500_real_zeros_then_500_ones():
    pool = data.load_pool()
    assert pool.images.shape == (1000, 784) and pool.images.dtype == np.uint8
    assert pool.labels.dtype == np.uint8
    assert (pool.labels[:500] == 0).all() and (pool.labels[500:] == 1).all()
    assert (pool.source, pool.path, pool.zeros, pool.ones) == ("embedded", "", 500, 500)
    # Real MNIST: a dark background, full-intensity strokes, and a zero has more ink than a one
    # (mean pixel about 44 for zeros and 19 for ones over the whole data set).
    zeros, ones = pool.images[:500].astype(float), pool.images[500:].astype(float)
    assert pool.images.max() == 255 and np.median(pool.images) == 0
    assert 35 < zeros.mean() < 55 and 14 < ones.mean() < 25
    assert len(np.unique(pool.images, axis=0)) == 1000  # no duplicated digit


def test_embedded_pool_is_cached_and_read_only():
    assert data.load_pool() is data.load_pool()
    with pytest.raises(ValueError):
        data.load_pool().images[0, 0] = 1


def members(npz: bytes) -> list[tuple]:
    """Name, timestamp, permissions and uncompressed bytes of each member, in order."""
    with zipfile.ZipFile(io.BytesIO(npz)) as archive:
        return [(info.filename, info.date_time, info.external_attr, archive.read(info)) for info in archive.infolist()]


def test_embedded_file_is_what_the_tool_writes():
    # The committed npz must match the tool's deterministic output for its arrays, so rerunning
    # tools/make_embedded_data.py on the wheel cannot silently change it. Compressed bytes are
    # compared only between two runs here: another zlib build may compress differently.
    specification = importlib.util.spec_from_file_location("make_embedded_data", REPOSITORY / "tools" / "make_embedded_data.py")
    tool = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(tool)
    committed = EMBEDDED_FILE.read_bytes()
    with np.load(EMBEDDED_FILE) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    written = tool.npz_bytes({"images": images, "labels": labels})
    assert written == tool.npz_bytes({"images": images.copy(), "labels": labels.copy()})
    assert members(written) == members(committed)
    assert [name for name, *_ in members(committed)] == ["images.npy", "labels.npy"]


def test_the_2018_pool_keeps_its_content():
    # The sha256 of the pool's images then labels bytes, as mnist01.npz held them before digits.npz
    # replaced it (commit 3baa01d compared the two): the seed-2018 selection and every stored result
    # depend on these exact zeros and ones in this order.
    pool = data.load_pool()
    digest = hashlib.sha256(pool.images.tobytes() + pool.labels.tobytes()).hexdigest()
    assert digest == "0dece438fe12100d37fb27cc7f3c4f478403a9aa1b77a5e3c11a14438c7cffb4"


# ---------------------------------------------------------------- selection

def test_selection_follows_the_2018_recipe():
    pool = data.load_pool()
    split = data.select(pool, n_train=50, n_test=20, selection_seed=678)
    order = np.random.RandomState(678).permutation(1000)
    assert split.X_test.shape == (20, 784) and split.X_train.shape == (50, 784)
    assert split.y_test.shape == (20, 1) and split.y_train.shape == (50, 1)
    assert split.X_train.dtype == split.y_train.dtype == np.float64
    np.testing.assert_array_equal(split.X_test, pool.images[order[:20]] / 255.0)
    np.testing.assert_array_equal(split.X_train, pool.images[order[20:70]] / 255.0)
    # Pool index < 500 is a zero: the labels follow the zeros-then-ones stacking.
    np.testing.assert_array_equal(split.y_train[:, 0], (order[20:70] >= 500).astype(float))
    np.testing.assert_array_equal(split.train_images, pool.images[order[20:70]])
    assert split.X_train.min() == 0.0 and split.X_train.max() == 1.0
    assert 0 < split.y_train.sum() < 50  # both classes present
    assert split.pool_size == 1000


def test_selection_description_is_plain_json():
    split = data.load(n_train=30, n_test=10, selection_seed=5)
    assert json.loads(json.dumps(split.description)) == split.description
    assert split.description == {
        "source": "embedded",
        "description": data.load_pool().description,
        "path": "",
        "split": "",
        "n_train": 30,
        "n_test": 10,
        "pool_zeros": 500,
        "pool_ones": 500,
        "selection_seed": 5,
    }
    assert "500 zeros + 500 ones" in split.description["description"]


def test_same_seed_same_selection_other_seed_other_selection():
    first, again, other = data.load(), data.load(), data.load(selection_seed=679)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    assert first.fingerprint == again.fingerprint
    assert not np.array_equal(first.X_train, other.X_train)
    assert first.fingerprint != other.fingerprint


def test_fingerprint_identifies_the_selected_bytes():
    pool = data.load_pool()
    split = data.select(pool, 50, 20, 678)
    assert len(split.fingerprint) == 64 and int(split.fingerprint, 16) >= 0
    # Same selection from an independent copy of the data: same fingerprint.
    copy = pool_from(pool.images.copy(), pool.labels.copy())
    assert data.select(copy, 50, 20, 678).fingerprint == split.fingerprint
    # One pixel of one selected training image changed: a different fingerprint.
    changed = pool.images.copy()
    changed[np.random.RandomState(678).permutation(1000)[20], 400] ^= 1
    assert data.select(pool_from(changed, pool.labels), 50, 20, 678).fingerprint != split.fingerprint
    # Moving the train/test boundary changes it although the 70 images are the same.
    assert data.select(pool, 51, 19, 678).fingerprint != split.fingerprint


def test_the_whole_pool_can_be_selected_but_not_more():
    pool = data.load_pool()
    split = data.select(pool, n_train=990, n_test=10)
    selected = np.concatenate([split.X_test, split.X_train]) * 255.0
    assert len(np.unique(selected, axis=0)) == 1000  # every pool image exactly once
    assert split.y_train.sum() + split.y_test.sum() == 500
    with pytest.raises(ConfigError, match=r"data\.n_train \+ data\.n_test.*1001.*1000 images"):
        data.select(pool, n_train=991, n_test=10)


@pytest.mark.parametrize(("field", "arguments"), [
    ("data.n_train", {"n_train": 0}),
    ("data.n_test", {"n_test": -3}),
    ("data.n_train", {"n_train": 2.5}),
    ("data.n_test", {"n_test": True}),
    ("data.selection_seed", {"selection_seed": -1}),
])
def test_bad_sizes_and_seeds_name_the_field(field, arguments):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        data.select(data.load_pool(), **arguments)


def test_initial_weights_continue_the_selection_stream():
    # The 2018 order on one legacy stream: permute the pool index, then w1, w2, w3 = randn * 0.2.
    stream = np.random.RandomState(678)
    stream.permutation(1000)
    expected = [stream.randn(784, 256) * 0.2, stream.randn(256, 128) * 0.2, stream.randn(128, 1) * 0.2]
    weights = seeding.initial_weights(678, 1000)
    assert len(weights) == 3
    for drawn, reference in zip(weights, expected):
        np.testing.assert_array_equal(drawn, reference)


# ---------------------------------------------------------------- IDX files

@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", ["test", "train"])
def test_idx_pool_keeps_zeros_then_ones_in_file_order(tmp_path, split, compress):
    images_file, _ = idx_files.write_split(tmp_path, split, LABELS, compress=compress)
    assert images_file.name.startswith(idx_files.PREFIX[split]) and images_file.name.endswith(".gz") == compress
    pool = data.load_pool("idx", str(tmp_path), split)
    expected = idx_files.digit_images(LABELS)[[1, 4, 6, 0, 3, 7]].reshape(6, 784)
    np.testing.assert_array_equal(pool.images, expected)
    np.testing.assert_array_equal(pool.labels, [0, 0, 0, 1, 1, 1])
    assert (pool.source, pool.path, pool.split) == ("idx", str(tmp_path), split)
    assert pool.description == f"MNIST {idx_files.PREFIX[split]} (IDX files in {tmp_path}), 3 zeros + 3 ones"


def test_idx_split_chooses_the_files(tmp_path):
    idx_files.write_split(tmp_path, "test", LABELS)
    idx_files.write_split(tmp_path, "train", np.array([0, 1, 1], dtype=np.uint8))
    assert len(data.load_pool("idx", str(tmp_path), "test").labels) == 6
    assert len(data.load_pool("idx", str(tmp_path), "train").labels) == 3


def test_idx_load_selects_from_the_files(tmp_path):
    idx_files.write_split(tmp_path, "test", LABELS)
    split = data.load("idx", str(tmp_path), n_train=4, n_test=2, selection_seed=1)
    order = np.random.RandomState(1).permutation(6)
    pool_images = idx_files.digit_images(LABELS)[[1, 4, 6, 0, 3, 7]].reshape(6, 784)
    np.testing.assert_array_equal(split.X_train, pool_images[order[2:6]] / 255.0)
    assert split.description["path"] == str(tmp_path) and split.description["split"] == "test"


def corrupt_images_truncated(directory):
    data = idx_files.image_bytes(idx_files.digit_images(LABELS))
    return idx_files.write(directory / "t10k-images-idx3-ubyte", data[:-100], compress=True), "truncated"


def corrupt_images_too_long(directory):
    data = idx_files.image_bytes(idx_files.digit_images(LABELS))
    return idx_files.write(directory / "t10k-images-idx3-ubyte", data + b"\0"), "trailing bytes"


def corrupt_images_header_only(directory):
    return idx_files.write(directory / "t10k-images-idx3-ubyte", b"\0\0\x08\x03\0\0"), "truncated"


def corrupt_labels_truncated(directory):
    data = idx_files.label_bytes(LABELS)
    return idx_files.write(directory / "t10k-labels-idx1-ubyte", data[:-2]), "truncated"


def corrupt_images_magic(directory):
    # A labels file where the images file should be.
    return idx_files.write(directory / "t10k-images-idx3-ubyte", idx_files.label_bytes(LABELS)), "magic number 2049"


def corrupt_labels_magic(directory):
    data = idx_files.label_bytes(LABELS, magic=2051)
    return idx_files.write(directory / "t10k-labels-idx1-ubyte", data), "magic number 2051"


def corrupt_dimensions(directory):
    images = np.zeros((len(LABELS), 16, 16), dtype=np.uint8)
    return idx_files.write(directory / "t10k-images-idx3-ubyte", idx_files.image_bytes(images)), "16x16"


def corrupt_counts(directory):
    labels = np.append(LABELS, 0)
    idx_files.write(directory / "t10k-labels-idx1-ubyte", idx_files.label_bytes(labels))
    return directory / "t10k-images-idx3-ubyte", "9 images but t10k-labels-idx1-ubyte holds 10 labels"


def corrupt_no_zeros_or_ones(directory):
    labels = np.array([2, 3, 4, 5, 6, 7, 8, 9, 9], dtype=np.uint8)
    return idx_files.write(directory / "t10k-labels-idx1-ubyte", idx_files.label_bytes(labels)), "no digits labelled 0 or 1"


def corrupt_no_ones(directory):
    labels = np.array([0, 0, 7, 2, 0, 2, 0, 3, 9], dtype=np.uint8)
    return idx_files.write(directory / "t10k-labels-idx1-ubyte", idx_files.label_bytes(labels)), "no digits labelled 1"


def corrupt_gzip(directory):
    path = directory / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"this is not gzip data")
    return path, "cannot be read"


def missing_labels_file(directory):
    (directory / "t10k-labels-idx1-ubyte").unlink()
    return directory / "t10k-labels-idx1-ubyte", "missing"


@pytest.mark.parametrize("corrupt", [
    corrupt_images_truncated, corrupt_images_too_long, corrupt_images_header_only, corrupt_labels_truncated,
    corrupt_images_magic, corrupt_labels_magic, corrupt_dimensions, corrupt_counts,
    corrupt_no_zeros_or_ones, corrupt_no_ones, corrupt_gzip, missing_labels_file,
])
def test_broken_idx_files_raise_data_error_naming_file_and_problem(tmp_path, corrupt):
    idx_files.write_split(tmp_path, "test", LABELS)
    path, problem = corrupt(tmp_path)
    if path.name.endswith(".gz") and path.with_suffix("").exists():
        path.with_suffix("").unlink()  # leave only the gzipped copy, so it is the one read
    with pytest.raises(DataError) as raised:
        data.load_pool("idx", str(tmp_path), "test")
    message = str(raised.value)
    assert str(path) in message and problem in message
    assert "\n" not in message


def test_truncated_message_gives_the_sizes(tmp_path):
    idx_files.write_split(tmp_path, "test", LABELS)
    path, _ = corrupt_images_truncated(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError) as raised:
        data.load_pool("idx", str(tmp_path))
    expected = 16 + 9 * 784
    assert str(raised.value) == (
        f"{path}: truncated: header says 9 images of 28x28 ({expected} bytes) but the file has {expected - 100} bytes"
    )


def test_missing_directory_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=f"{missing}: no such directory"):
        data.load_pool("idx", str(missing))


def test_idx_file_where_a_directory_is_expected(tmp_path):
    (path,) = idx_files.write_split(tmp_path, "test", LABELS)[:1]
    with pytest.raises(DataError, match="no such directory"):
        data.load_pool("idx", str(path))


# ---------------------------------------------------------------- Keras npz

def keras_arrays():
    train_labels = np.array([5, 1, 0, 0, 1], dtype=np.uint8)
    return {
        "x_train": idx_files.digit_images(train_labels), "y_train": train_labels,
        "x_test": idx_files.digit_images(LABELS), "y_test": LABELS.astype(np.int64),
    }


@pytest.mark.parametrize(("split", "expected"), [("test", [1, 4, 6, 0, 3, 7]), ("train", [2, 3, 1, 4])])
def test_keras_npz(tmp_path, split, expected):
    arrays = keras_arrays()
    path = idx_files.write_keras_npz(tmp_path / "mnist.npz", **arrays)
    pool = data.load_pool("npz", str(path), split)
    np.testing.assert_array_equal(pool.images, arrays[f"x_{split}"][expected].reshape(-1, 784))
    assert pool.labels.tolist() == sorted(pool.labels.tolist()) and pool.zeros == pool.ones == len(expected) // 2
    assert (pool.source, pool.path, pool.split) == ("npz", str(path), split)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda arrays: arrays.pop("x_test"), "missing array x_test"),
    (lambda arrays: arrays.pop("y_test"), "missing array y_test"),
    (lambda arrays: arrays.update(x_test=arrays["x_test"].astype(np.float32)), "x_test is float32"),
    (lambda arrays: arrays.update(x_test=arrays["x_test"].reshape(len(LABELS), 784)), "expected uint8 of shape (N, 28, 28)"),
    (lambda arrays: arrays.update(y_test=LABELS[:-1]), "y_test is uint8 of shape (8,)"),
    (lambda arrays: arrays.update(y_test=LABELS.astype(float)), "y_test is float64"),
    (lambda arrays: arrays.update(y_test=LABELS + 2), "no digits labelled 0 or 1"),
])
def test_broken_keras_npz_raises_data_error(tmp_path, change, problem):
    arrays = keras_arrays()
    change(arrays)
    path = idx_files.write_keras_npz(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DataError) as raised:
        data.load_pool("npz", str(path))
    assert str(path) in str(raised.value) and problem in str(raised.value)


def npy_file(path):
    with path.open("wb") as stream:  # a bare .npy under an .npz name: np.load would return an array
        np.save(stream, LABELS)


def object_array(path):
    with path.open("wb") as stream:  # keeps the name (np.savez would append .npz)
        np.savez(stream, **{**keras_arrays(), "y_test": LABELS.astype(object)})


def damaged_member(path):
    # The zip directory stays valid; the middle of x_test's compressed bytes is zeroed.
    with path.open("wb") as stream:
        np.savez_compressed(stream, **keras_arrays())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("x_test.npy")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra) + member.compress_size // 2
    data = bytearray(path.read_bytes())
    data[start:start + 16] = bytes(16)
    path.write_bytes(bytes(data))


def member_not_npy(path):
    # NpzFile returns the raw bytes of a member that lacks the .npy magic.
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in keras_arrays().items():
            archive.writestr(f"{key}.npy", value.tobytes())


def truncated_zip(path):
    with path.open("wb") as stream:
        np.savez_compressed(stream, **keras_arrays())
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize("write", [
    lambda path: path.write_bytes(b""), lambda path: path.write_bytes(b"PK\x03\x04 not really a zip"),
    npy_file, object_array, damaged_member, member_not_npy, truncated_zip,
])
def test_unreadable_npz_raises_data_error(tmp_path, write):
    path = tmp_path / "mnist.npz"
    write(path)
    with pytest.raises(DataError, match=f"{path}: (not (an|a readable) npz file|x_test is not a NumPy array|y_test holds Python objects)"):
        data.load_pool("npz", str(path))


def test_missing_npz_file_is_named(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'mnist.npz'}: no such file"):
        data.load_pool("npz", str(tmp_path / "mnist.npz"))


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize(("arguments", "field"), [
    ({"source": "mnist"}, "data.source"),
    ({"split": "validation"}, "data.split"),
    ({"source": "idx"}, "data.path"),
    ({"source": "npz", "path": ""}, "data.path"),
    ({"source": "embedded", "path": "/tmp"}, "data.path"),
    ({"source": "embedded", "split": "train"}, "data.split"),
])
def test_bad_arguments_name_the_field(arguments, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as raised:
        data.load_pool(**arguments)
    assert not isinstance(raised.value, DataError)


def test_fingerprint_is_sha256_of_the_documented_bytes():
    # Pins the fingerprint's definition: a header with the sizes, then train pixels, train labels,
    # test pixels, test labels, all uint8. Results caches key on it, so changing it must be deliberate.
    pool = data.load_pool()
    order = np.random.RandomState(678).permutation(1000)
    digest = hashlib.sha256(b"mnist01 train 50 test 20\n")
    for indices in (order[20:70], order[:20]):
        digest.update(pool.images[indices].tobytes() + pool.labels[indices].tobytes())
    assert data.load().fingerprint == digest.hexdigest()
