"""Bad input through the command line: exit code 2 (1 for a failure during a run), one readable line, nothing touched.

The corpus is tests/bad_inputs/*.toml, one bad config per file, each starting
with its expectation::

    # exit: 2
    # message: training.epochs | out of range     (words that must all be in the one stderr line)
    # why: ...                                      (optional)

Adding a case is adding a file. Configs that point at data use paths like
``data/truncated-images``, relative to the config; the test copies the config
into a scratch directory and builds every entry of ``DATA_RECIPES`` (and
every file of ``COMMITTED_DATA``) under ``data/`` beside it.

Every case runs ``build`` into a directory holding a real previous report,
whose files must be byte-identical afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import idx_files
from bad_inputs import harness
from reportgen import outputs

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(CORPUS.glob("*.toml"))
LABELS = [0] * 6 + [1] * 6  # a whole, valid IDX pair holds these 12 digits


def _cut(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def _truncated_images(directory: Path) -> None:
    images, _ = idx_files.write_split(directory, "test", LABELS)
    _cut(images, 16 + 28 * 28 * 5 + 100)


def _truncated_labels(directory: Path) -> None:
    _, labels = idx_files.write_split(directory, "test", LABELS)
    _cut(labels, 8 + 9)


def _header_only(directory: Path) -> None:
    images, _ = idx_files.write_split(directory, "test", LABELS)
    _cut(images, 10)


def _wrong_magic_images(directory: Path) -> None:
    images, labels = idx_files.write_split(directory, "test", LABELS)
    images.write_bytes(labels.read_bytes())


def _wrong_magic_labels(directory: Path) -> None:
    _, labels = idx_files.write_split(directory, "test", LABELS)
    idx_files.write(labels, idx_files.label_bytes(LABELS, magic=12345))


def _count_mismatch(directory: Path) -> None:
    _, labels = idx_files.write_split(directory, "test", LABELS)
    idx_files.write(labels, idx_files.label_bytes(LABELS[:-1]))


def _labels(values):
    return lambda directory: idx_files.write_split(directory, "test", values)


def _missing_labels_file(directory: Path) -> None:
    _, labels = idx_files.write_split(directory, "test", LABELS)
    labels.unlink()


def _corrupt_gzip(directory: Path) -> None:
    idx_files.write_split(directory, "test", LABELS, compress=True)
    (directory / "t10k-images-idx3-ubyte.gz").write_bytes(b"this is not gzip data")


def _wrong_image_size(directory: Path) -> None:
    idx_files.write_split(directory, "test", LABELS, images=idx_files.digit_images(LABELS, side=27))


def _a_file(path: Path) -> None:
    path.write_text("not a directory of IDX files\n")


def _train_arrays_only(path: Path) -> None:
    images = idx_files.digit_images(LABELS)
    idx_files.write_keras_npz(path, x_train=images, y_train=np.array(LABELS, dtype=np.uint8))


# Inflated size of the decompression bombs: more than the memory bound the tests set on
# reportgen, so a reader that inflated the whole file could not pass.
BOMB_BYTES = 512 * 2**20
MEMORY_BOUND_BYTES = 200 * 2**20  # these cases peak at 37-57 MB; a whole seed-2018 build at about 130 MB


def _gzip_bomb(directory: Path) -> None:
    """A 0.5 MB .gz images file whose header says 10,000 images (7.8 MB) but which inflates to 512 MB."""
    images, _ = idx_files.write_split(directory, "test", LABELS)
    images.unlink()  # the bomb stands in its place
    idx_files.write_gzip_bomb(directory / "t10k-images-idx3-ubyte.gz", idx_files.image_bytes(np.zeros((0, 28, 28)), count=10_000), BOMB_BYTES)


def _huge_count(directory: Path) -> None:
    """A small images file whose header declares four billion images."""
    idx_files.write_split(directory, "test", LABELS)
    idx_files.write(directory / "t10k-images-idx3-ubyte", idx_files.image_bytes(idx_files.digit_images(LABELS), count=4_000_000_000))


def _npz_bomb(path: Path) -> None:
    idx_files.write_npz_bomb(path, (10_000, 28, 28), BOMB_BYTES)


def _npz_huge_shape(path: Path) -> None:
    idx_files.write_npz_bomb(path, (10**9, 28, 28), 0)


def _npz_wide_items(path: Path) -> None:
    """One element of 100 MB: few elements, many bytes."""
    idx_files.write_npz_bomb(path, (1,), BOMB_BYTES, descr="|V100000000")


# data/<name> built beside each copied config
DATA_RECIPES = {
    "truncated-images": _truncated_images,
    "truncated-labels": _truncated_labels,
    "header-only": _header_only,
    "wrong-magic-images": _wrong_magic_images,
    "wrong-magic-labels": _wrong_magic_labels,
    "count-mismatch": _count_mismatch,
    "no-zeros-or-ones": _labels([2, 3, 7] * 4),
    "no-ones": _labels([0] * 12),
    "missing-labels-file": _missing_labels_file,
    "corrupt-gzip": _corrupt_gzip,
    "wrong-image-size": _wrong_image_size,
    "too-few-digits": _labels([0, 0, 0, 1, 1, 1, 2, 2]),
    "path-is-a-file": _a_file,
    "not-a-zip.npz": _a_file,
    "no-test-arrays.npz": _train_arrays_only,
    "gzip-bomb": _gzip_bomb,
    "huge-count": _huge_count,
    "bomb.npz": _npz_bomb,
    "huge-shape.npz": _npz_huge_shape,
    "wide-items.npz": _npz_wide_items,
}


def build_data(case: Path, directory: Path) -> None:
    """The data/<name> entries ``case`` names, built under ``directory``."""
    (directory / "data").mkdir()
    text = case.read_text(encoding="utf-8", errors="replace")
    for name, recipe in DATA_RECIPES.items():
        if f'"data/{name}"' in text:
            recipe(directory / "data" / name)


def expectation(case: Path) -> tuple[int, list[str]]:
    header = {}
    for line in case.read_bytes().decode("utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip()] = value.strip()
    return int(header["exit"]), [word.strip() for word in header["message"].split("|")]


@pytest.fixture(scope="module")
def previous_report(diverging_report) -> Path:
    """A real report: what a bad build must leave alone."""
    out, _ = diverging_report
    assert (out / "index.html").is_file()
    return out


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_bad_config(case, tmp_path, previous_report, capsys):
    expected_code, words = expectation(case)
    config = tmp_path / case.name
    shutil.copyfile(case, config)
    build_data(case, tmp_path)
    before = harness.tree_digest(previous_report)

    code, out, err = harness.run(["build", "--config", config, "--out", previous_report, "--workers", "1"], capsys)

    assert code == expected_code, err
    harness.assert_one_error_line(err, *words)
    assert out == ""
    assert harness.tree_digest(previous_report) == before


def test_every_data_recipe_is_used():
    text = "\n".join(case.read_bytes().decode("utf-8", errors="replace") for case in CASES)
    assert [name for name in DATA_RECIPES if f'"data/{name}"' not in text] == []


# (case id, argv after "reportgen", exit code, words). {out}, {config}, {file}, {link}: see test_bad_command_line.
COMMAND_LINE_CASES = [
    ("workers-zero", ["build", "--config", "{config}", "--out", "{out}", "--workers", "0"], 2, ["--workers", "0", "out of range"]),
    ("workers-not-a-number", ["build", "--config", "{config}", "--out", "{out}", "--workers", "two"], 2, ["--workers", "'two'"]),
    ("unknown-preset", ["build", "--preset", "textbok", "--out", "{out}"], 2, ["--preset", "'textbok'", "did you mean 'textbook'"]),
    ("config-and-preset", ["build", "--config", "{config}", "--preset", "textbook", "--out", "{out}"], 2, ["--preset", "not allowed with", "--config"]),
    ("unknown-command", ["publish"], 2, ["'publish'", "invalid choice"]),
    ("missing-config-file", ["build", "--config", "{out}/nothing.toml", "--out", "{out}"], 2, ["nothing.toml", "no such config file"]),
    ("config-is-a-directory", ["build", "--config", "{out}", "--out", "{out}"], 2, ["is a directory, not a config file"]),
    ("same-experiment-twice", ["build", "--config", "{config}", "--config", "{config}", "--out", "{out}"], 2, ["'tiny'", "given twice"]),
    ("out-is-a-file", ["build", "--config", "{config}", "--out", "{file}"], 2, ["--out", "is a file, not a directory"]),
    ("out-under-a-file", ["build", "--config", "{config}", "--out", "{file}/report"], 2, ["--out", "is a file, not a directory"]),
    ("out-is-the-source-tree", ["build", "--config", "{config}", "--out", str(harness.ROOT)], 2, ["--out", "source tree or a parent of it"]),
    ("out-is-above-the-source-tree", ["build", "--config", "{config}", "--out", str(harness.ROOT.parent)], 2, ["source tree or a parent of it"]),
    ("out-links-to-the-source-tree", ["build", "--config", "{config}", "--out", "{link}"], 2, ["source tree or a parent of it"]),
    ("out-is-the-root", ["build", "--config", "{config}", "--out", "/"], 2, ["source tree or a parent of it"]),
    ("out-in-the-package", ["build", "--config", "{config}", "--out", str(harness.ROOT / "reportgen" / "out")], 2, ["inside the reportgen package"]),
    ("out-in-the-templates", ["build", "--config", "{config}", "--out", str(harness.ROOT / "templates" / "out")], 2, ["inside the templates"]),
    ("render-before-build", ["render", "--config", "{config}", "--out", "{out}"], 1, ["no stored results", "reportgen build"]),
]


@pytest.mark.parametrize("argv, expected_code, words", [case[1:] for case in COMMAND_LINE_CASES], ids=[case[0] for case in COMMAND_LINE_CASES])
def test_bad_command_line(argv, expected_code, words, tmp_path, capsys):
    config = harness.write_config(tmp_path / "tiny.toml")
    (tmp_path / "afile").write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("<p>the previous report</p>\n")
    (out / outputs.LOCK_NAME).touch()  # as a previous build leaves it
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "source").symlink_to(harness.ROOT, target_is_directory=True)
    source_entries = sorted(path.name for path in harness.ROOT.iterdir())
    before = harness.tree_digest(tmp_path)

    filled = [arg.format(out=out, config=config, file=tmp_path / "afile", link=tmp_path / "links" / "source") for arg in argv]
    code, stdout, stderr = harness.run(filled, capsys)

    assert code == expected_code, stderr
    harness.assert_one_error_line(stderr, *words)
    assert stdout == ""
    assert harness.tree_digest(tmp_path) == before
    assert sorted(path.name for path in harness.ROOT.iterdir()) == source_entries


@pytest.mark.parametrize(
    "entry, make",
    [
        ("results", lambda path: path.write_text("a file where the results store goes\n")),
        ("figures", lambda path: path.write_text("a file where the figures go\n")),
        ("index.html", lambda path: path.mkdir()),
        (outputs.LOCK_NAME, lambda path: path.mkdir()),
    ],
    ids=["results-is-a-file", "figures-is-a-file", "index-is-a-directory", "lock-is-a-directory"],
)
def test_something_in_the_way_inside_out_is_refused_before_any_work(entry, make, tmp_path, previous_report, capsys):
    out = tmp_path / "out"
    shutil.copytree(previous_report, out)
    target = out / entry
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    make(target)
    config = harness.write_config(tmp_path / "other.toml", name="other")  # not trained yet: nothing may start
    before = harness.tree_digest(out)

    code, _, stderr = harness.run(["build", "--config", config, "--out", out, "--workers", "1"], capsys)

    assert code == 2
    harness.assert_one_error_line(stderr, f"{out / entry}", "is in the way")
    assert harness.tree_digest(out) == before


def _holding_lock(out: Path) -> subprocess.Popen:
    """Another process holding OUT's lock, as a running build does."""
    script = "import fcntl, sys, time\nf = open(sys.argv[1], 'a+')\nfcntl.flock(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)\n"
    holder = subprocess.Popen([sys.executable, "-c", script, str(out / outputs.LOCK_NAME)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_build_into_a_locked_directory_is_refused(tmp_path, previous_report, capsys):
    out = tmp_path / "out"
    shutil.copytree(previous_report, out)
    before = harness.tree_digest(out)
    holder = _holding_lock(out)
    try:
        config = harness.write_config(tmp_path / "other.toml", name="other")
        code, _, stderr = harness.run(["build", "--config", config, "--out", out, "--workers", "1"], capsys)
        finished = harness.run_process("build", "--config", config, "--out", out, "--workers", "1", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    harness.assert_one_error_line(stderr, str(out), "another reportgen is writing there now")
    assert finished.returncode == 1
    harness.assert_one_error_line(finished.stderr, "another reportgen is writing there now")
    assert harness.tree_digest(out) == before
    # the lock dies with its holder: the next run goes ahead
    code, _, stderr = harness.run(["run", "--config", config, "--out", out, "--workers", "1", "--quiet"], capsys)
    assert code == 0, stderr


@pytest.mark.parametrize("case", ["not-toml", "idx-truncated-images", "name-control-character"])
def test_a_real_process_prints_one_line_and_no_traceback(case, tmp_path):
    config = tmp_path / f"{case}.toml"
    shutil.copyfile(CORPUS / f"{case}.toml", config)
    DATA_RECIPES["truncated-images"](tmp_path / "data" / "truncated-images")
    expected_code, words = expectation(config)

    finished = harness.run_process("build", "--config", config, "--out", tmp_path / "out", cwd=tmp_path)

    assert finished.returncode == expected_code
    harness.assert_one_error_line(finished.stderr, *words)
    assert finished.stdout == ""
    assert not (tmp_path / "out" / "index.html").exists()


MEMORY_CASES = ["idx-gzip-bomb", "idx-huge-count", "npz-bomb", "npz-huge-shape", "npz-wide-items"]


@pytest.mark.slow
@pytest.mark.parametrize("case", MEMORY_CASES)
def test_bad_data_is_refused_in_bounded_memory(case, tmp_path):
    source = CORPUS / f"{case}.toml"
    _, words = expectation(source)
    shutil.copyfile(source, tmp_path / "case.toml")
    build_data(source, tmp_path)

    code, stderr, peak = harness.measured_run("build", "--config", tmp_path / "case.toml", "--out", tmp_path / "out", "--workers", "1", cwd=tmp_path)

    assert code == 2, stderr
    harness.assert_one_error_line(stderr, *words)
    assert 0 < peak < MEMORY_BOUND_BYTES, f"peak {peak / 2**20:.0f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(kind, tmp_path):
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "experiment.toml"
        os.mkfifo(path)  # nothing ever writes to it: reading would wait forever

    code, stderr, peak = harness.measured_run("build", "--config", path, "--out", tmp_path / "out", cwd=tmp_path, timeout=30)

    assert code == 2, stderr
    harness.assert_one_error_line(stderr, str(path), "not a regular file")
    assert 0 < peak < MEMORY_BOUND_BYTES, f"peak {peak / 2**20:.0f} MB"
