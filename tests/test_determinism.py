"""Same config, same versions: byte-identical report, figures and data, whatever the worker count."""

from __future__ import annotations

import re
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest

from bad_inputs import harness
from reportgen import outputs

pytestmark = pytest.mark.slow  # builds in real processes

# The store's npz files are zip archives whose entries carry the time they were written;
# the figure cache is a pickle whose memo follows which process drew each figure. Neither is output.
NOT_COMPARED = ("results/*/metrics.npz", "results/*/runs/*.npz", "results/figures-*.pickle")
# sgd and adam_noise: one method without a fused kernel and one with (reportgen.optimizers.kernels)
METHODS = "[methods.sgd]\nlr = 0.05\n\n[methods.nesterov]\nlr = 0.01\n\n[methods.noise_gaussian]\nlr = 1e-4\n\n[methods.adam_noise]\nlr = 1e-3\n"


def _not_compared(relative: str) -> bool:
    return any(fnmatch(relative, pattern) for pattern in NOT_COMPARED)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The same config built from scratch three times: in one process, in a pool of two, and in a pool of two
    with the NumPy parts only (--engine numpy). The folder and the three digests."""
    root = tmp_path_factory.mktemp("determinism")
    config = harness.write_config(root / "tiny.toml", epochs=3, seeds="[678, 5]", methods=METHODS)
    digests = []
    for workers, engine in ((1, "fused"), (2, "fused"), (2, "numpy")):
        out = root / (f"out-{workers}-workers" + ("" if engine == "fused" else f"-{engine}"))
        finished = harness.run_process("build", "--config", config, "--out", out, "--workers", workers, "--engine", engine, cwd=root)
        assert finished.returncode == 0, finished.stderr
        digests.append(harness.tree_digest(out, skip=_not_compared))
    return root, digests


def test_every_file_is_byte_identical_whatever_the_worker_count(builds):
    one_worker, two_workers, _ = builds[1]
    assert sorted(one_worker) == sorted(two_workers)
    differing = sorted(name for name in one_worker if one_worker[name] != two_workers[name])
    assert differing == []


def test_the_numpy_engine_writes_the_same_report_and_results(builds):
    root, (_, fused, numpy_only) = builds
    assert sorted(fused) == sorted(numpy_only)  # the same cache key: the engine changes no number
    differing = sorted(name for name in fused if fused[name] != numpy_only[name])
    # only the files that record the config differ, and only in the engine they name
    assert [name for name in differing if not fnmatch(name, "results/*/meta.json")] == ["data/metrics.json"]
    for name in differing:
        recorded = [(root / folder / name).read_text(encoding="utf-8") for folder in ("out-2-workers", "out-2-workers-numpy")]
        unnamed = [re.sub(r'"engine":\s*"(fused|numpy)"', '"engine": ...', text) for text in recorded]
        assert recorded[0] != recorded[1] and unnamed[0] == unnamed[1], name


def test_the_comparison_covers_the_whole_report(builds):
    names = set(builds[1][0])
    for expected in ("index.html", "report.md", "data/metrics.csv", "data/metrics.json", "data/controls.csv", "data/verification.csv", "paper/results.tex"):
        assert expected in names
    for kind in ("svg", "png", "pdf"):
        assert any(fnmatch(name, f"figures/*.{kind}") for name in names), kind
    assert any(fnmatch(name, "results/*/meta.json") for name in names)
    assert not any(_not_compared(name) for name in names)


def test_a_rebuild_from_the_store_gives_the_same_bytes_as_the_fresh_build(builds, tmp_path):
    """Build again from nothing but the stored results: every file of the report as the fresh build wrote it."""
    root = builds[0]
    fresh = root / "out-1-workers"
    rebuilt = tmp_path / "out"
    shutil.copytree(fresh / "results", rebuilt / "results", ignore=shutil.ignore_patterns("figures-*.pickle"))  # redraw too
    finished = harness.run_process("build", "--config", root / "tiny.toml", "--out", rebuilt, cwd=root)
    assert finished.returncode == 0, finished.stderr
    assert "reused 8 stored runs" in finished.stderr  # nothing trained: the report comes from the store

    report_only = lambda relative: relative.startswith("results") or relative == outputs.LOCK_NAME  # noqa: E731
    expected, got = harness.tree_digest(fresh, skip=report_only), harness.tree_digest(rebuilt, skip=report_only)
    assert sorted(got) == sorted(expected)
    assert sorted(name for name in expected if expected[name] != got[name]) == []
