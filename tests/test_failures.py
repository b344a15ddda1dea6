"""Failures lose nothing: divergence is a result, and an interrupted build keeps what it had and resumes.

Every test here runs ``python -m reportgen`` in a real process, because what
is checked (signals, what reaches the terminal, files on disk after a kill)
only exists there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from bad_inputs import harness
from reportgen import config, outputs

pytestmark = pytest.mark.slow  # real processes and signals

# Slow enough to interrupt: 12 runs of about 0.1 s each, saved one by one.
SLOW_METHODS = "[methods.sgd]\nlr = 0.05\n\n[methods.momentum]\n\n[methods.adam]\n\n[methods.nadam]\n"
RUN_FILE = re.compile(r"[a-z_]+--[a-z0-9-]+--\d+\.npz")


def test_a_diverging_method_is_recorded_and_reported_without_warnings(diverging_report):
    out, stderr = diverging_report
    assert "warning" not in stderr.lower() and "Traceback" not in stderr
    assert not re.search(r"overflow|invalid value|divide by zero", stderr), stderr
    (meta,) = out.glob("results/diverging-*/meta.json")
    recorded = json.loads(meta.read_text())
    names = [method["name"] for method in recorded["methods"]]
    assert all(reason for reason in recorded["divergence_reasons"][names.index("sgd")])
    assert not any(recorded["divergence_reasons"][names.index("adam")])
    with np.load(meta.parent / "metrics.npz") as arrays:
        assert (arrays["diverged_epoch"][names.index("sgd")] == 1).all()
        assert arrays["diverged_epoch"][names.index("momentum")].tolist() == [3, 0]
        assert np.isnan(arrays["train_cost_mean"][names.index("sgd"), :, 1:]).all()  # stopped: NaN after divergence
        assert np.isfinite(arrays["train_cost_mean"][names.index("adam")]).all()
    for report in ("report.md", "index.html"):
        text = (out / report).read_text(encoding="utf-8")
        assert re.search(r"Stochastic gradient descent\)? diverges at epoch 1 in 2 of 2 seeds", text), report
        assert re.search(r"Momentum\)? diverges at epoch 3 in 1 of 2 seeds", text), report


def _wait_for_runs(process, out: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not list(out.glob("results/slow-*/runs/*.npz")):
        assert process.poll() is None, f"the build ended before any run was saved: {process.communicate()}"
        assert time.monotonic() < deadline, "no run was saved in time"
        time.sleep(0.01)


def _interrupt(previous_out: Path, tmp_path: Path, signal_number: int, workers: int):
    """Copy the previous report, start a slow build into it, signal its process group after the first saved run."""
    out = tmp_path / "out"
    shutil.copytree(previous_out, out)
    before = harness.tree_digest(out)
    config_file = harness.write_config(tmp_path / "slow.toml", name="slow", n_train=20, epochs=40, seeds="[678, 1, 2]", methods=SLOW_METHODS)
    process = harness.start_process("build", "--config", config_file, "--out", out, "--workers", workers, cwd=tmp_path)
    try:
        _wait_for_runs(process, out)
        os.killpg(process.pid, signal_number)  # the whole group, as Ctrl-C in a terminal does
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    (results,) = out.glob("results/slow-*")
    untouched = harness.tree_digest(out, skip=lambda relative: relative.startswith(f"results/{results.name}"))
    assert untouched == before, "the previous report or results changed"
    return out, config_file, results, process.returncode, stderr


def _check_half_finished_set(results: Path) -> list[Path]:
    """The interrupted set: finished runs only, each a whole file; never marked complete."""
    assert not (results / "meta.json").exists() and not (results / "metrics.npz").exists()
    runs = sorted((results / "runs").iterdir())
    finished = [path for path in runs if not path.name.startswith(".")]
    assert finished and all(RUN_FILE.fullmatch(path.name) for path in finished), [path.name for path in runs]
    for path in finished:
        with np.load(path, allow_pickle=False) as arrays:
            assert arrays["train_cost_mean"].shape == (40,)
    return finished


def _check_resumes(out: Path, config_file: Path, finished: list[Path], capsys) -> None:
    code, _, stderr = harness.run(["render", "--config", config_file, "--out", out], capsys)
    assert code == 1
    harness.assert_one_error_line(stderr, "no stored results")  # half a set is never read as complete

    leftovers = set(out.rglob("*.tmp"))
    resumed = harness.run_process("build", "--config", config_file, "--out", out, "--workers", "1", "--quiet", cwd=out.parent)
    assert resumed.returncode == 0, resumed.stderr
    assert f"trained {12 - len(finished)} runs, reused {len(finished)}" in resumed.stderr
    assert "slow" in (out / "report.md").read_text(encoding="utf-8")
    assert set(out.rglob("*.tmp")) <= leftovers  # the resumed build's own writes leave none


def test_ctrl_c_keeps_the_previous_report_and_the_next_build_resumes(diverging_report, tmp_path, capsys):
    out, config_file, results, code, stderr = _interrupt(diverging_report[0], tmp_path, signal.SIGINT, workers=2)
    assert code == 130
    harness.assert_one_error_line(stderr, "interrupted", "next build resumes")  # workers print nothing either
    assert list(out.rglob("*.tmp")) == []  # an interrupted write removes its temporary file
    finished = _check_half_finished_set(results)
    _check_resumes(out, config_file, finished, capsys)


def test_a_killed_build_keeps_the_previous_report_and_the_next_build_resumes(diverging_report, tmp_path, capsys):
    out, config_file, results, code, _ = _interrupt(diverging_report[0], tmp_path, signal.SIGKILL, workers=1)
    assert code == -signal.SIGKILL
    # a kill can leave a temporary file; it is hidden and never read as a run
    assert all(path.name.startswith(".") for path in out.rglob("*.tmp"))
    finished = _check_half_finished_set(results)
    _check_resumes(out, config_file, finished, capsys)


def test_ctrl_c_while_a_worker_waits_for_work_prints_one_line(tmp_path):
    # 3 runs on 2 workers: once two are saved, one worker trains the third and the other waits for a task
    config_file = harness.write_config(tmp_path / "slow.toml", name="slow", n_train=50, epochs=60, seeds="[678, 1, 2]", methods="[methods.sgd]\n")
    out = tmp_path / "out"
    process = harness.start_process("build", "--config", config_file, "--out", out, "--workers", 2, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("results/slow-*/runs/*.npz"))) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130
    harness.assert_one_error_line(stderr, "interrupted")


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
    except (OSError, IndexError):
        return False


def _holds_lock(pid: int) -> bool:
    """Whether process ``pid`` has the output directory's lock file open (an flock lives as long as any holder)."""
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(descriptor).endswith(outputs.LOCK_NAME):
                return True
        except OSError:
            continue  # closed while we looked
    return False


def _signal_the_build_alone(tmp_path: Path, signal_number: int):
    """Start a slow build on 2 workers and, once a run is saved, send ``signal_number`` to the build's
    own process only, as ``timeout``, a CI runner or the OOM killer do (not to its process group)."""
    out = tmp_path / "out"
    config_file = harness.write_config(tmp_path / "slow.toml", name="slow", n_train=20, epochs=40, seeds="[678, 1, 2]", methods=SLOW_METHODS)
    process = harness.start_process("build", "--config", config_file, "--out", out, "--workers", 2, cwd=tmp_path)
    try:
        _wait_for_runs(process, out)
        workers = _children(process.pid)
        assert len(workers) == 2, workers
        holding = [pid for pid in workers if _holds_lock(pid)]
        os.kill(process.pid, signal_number)
        _, stderr = process.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = [pid for pid in workers if _alive(pid)]
    finally:
        for pid in _children(process.pid) + workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert holding == [], "workers hold the output directory's lock"
    assert orphans == [], "workers outlived their build"
    (results,) = out.glob("results/slow-*")
    return out, config_file, results, process.returncode, stderr


def test_kill_9_of_the_build_alone_stops_its_workers_and_leaves_no_lock(tmp_path, capsys):
    out, config_file, results, code, _ = _signal_the_build_alone(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    finished = _check_half_finished_set(results)
    _check_resumes(out, config_file, finished, capsys)  # would say "another reportgen is writing there now"


def test_sigterm_ends_a_build_as_ctrl_c_does(tmp_path, capsys):
    out, config_file, results, code, stderr = _signal_the_build_alone(tmp_path, signal.SIGTERM)
    assert code == 143
    harness.assert_one_error_line(stderr, "terminated", "finished runs are kept", "next build resumes")
    assert list(out.rglob("*.tmp")) == []
    finished = _check_half_finished_set(results)
    _check_resumes(out, config_file, finished, capsys)


def test_run_files_are_named_as_the_store_names_them():
    # RUN_FILE must follow the store, or the checks of finished runs above would check nothing
    experiment = config.validate({"name": "x", "methods": {"noise_gaussian": {}}, "training": {"seeds": [12]}}, "x.toml")
    assert RUN_FILE.fullmatch(experiment.run_specs()[0].file_name)
