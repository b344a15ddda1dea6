"""Same config, same versions: byte-identical report, figures and data, whatever the worker count."""

from __future__ import annotations

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
METHODS = "[methods.sgd]\nlr = 0.05\n\n[methods.nesterov]\nlr = 0.01\n\n[methods.noise_gaussian]\nlr = 1e-4\n"


def _not_compared(relative: str) -> bool:
    return any(fnmatch(relative, pattern) for pattern in NOT_COMPARED)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The same config built from scratch twice, in one process and in a pool of two: the folder and the digests."""
    root = tmp_path_factory.mktemp("determinism")
    config = harness.write_config(root / "tiny.toml", epochs=3, seeds="[678, 5]", methods=METHODS)
    digests = []
    for workers in (1, 2):
        out = root / f"out-{workers}-workers"
        finished = harness.run_process("build", "--config", config, "--out", out, "--workers", workers, cwd=root)
        assert finished.returncode == 0, finished.stderr
        digests.append(harness.tree_digest(out, skip=_not_compared))
    return root, digests


def test_every_file_is_byte_identical_whatever_the_worker_count(two_builds):
    one_worker, two_workers = two_builds[1]
    assert sorted(one_worker) == sorted(two_workers)
    differing = sorted(name for name in one_worker if one_worker[name] != two_workers[name])
    assert differing == []


def test_the_comparison_covers_the_whole_report(two_builds):
    names = set(two_builds[1][0])
    for expected in ("index.html", "report.md", "data/metrics.csv", "data/metrics.json", "paper/results.tex"):
        assert expected in names
    for kind in ("svg", "png", "pdf"):
        assert any(fnmatch(name, f"figures/*.{kind}") for name in names), kind
    assert any(fnmatch(name, "results/*/meta.json") for name in names)
    assert not any(_not_compared(name) for name in names)


def test_a_rebuild_from_the_store_gives_the_same_bytes_as_the_fresh_build(two_builds, tmp_path):
    """Build again from nothing but the stored results: every file of the report as the fresh build wrote it."""
    root = two_builds[0]
    fresh = root / "out-1-workers"
    rebuilt = tmp_path / "out"
    shutil.copytree(fresh / "results", rebuilt / "results", ignore=shutil.ignore_patterns("figures-*.pickle"))  # redraw too
    finished = harness.run_process("build", "--config", root / "tiny.toml", "--out", rebuilt, cwd=root)
    assert finished.returncode == 0, finished.stderr
    assert "reused 6 stored runs" in finished.stderr  # nothing trained: the report comes from the store

    report_only = lambda relative: relative.startswith("results") or relative == outputs.LOCK_NAME  # noqa: E731
    expected, got = harness.tree_digest(fresh, skip=report_only), harness.tree_digest(rebuilt, skip=report_only)
    assert sorted(got) == sorted(expected)
    assert sorted(name for name in expected if expected[name] != got[name]) == []
