"""The Dask executor on a real LocalCluster (loopback, 2 worker processes, no dashboard):
the same sweep as the process pool, byte for byte; a worker that dies mid-task loses nothing."""

import os
import shutil
import sys
from pathlib import Path

import cloudpickle
import pytest
from distributed import LocalCluster

from reportgen import config
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep.run import run_sweep
from reportgen.training import executors, runner
from reportgen.errors import ConfigError
from reportgen.training.store import ResultStore

# the workers cannot import this test module by name: send its functions by value
pytestmark = pytest.mark.slow  # a real LocalCluster

cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0") as running:
        yield running


def tiny_plan():
    raw = {
        "name": "tiny",
        "variant": "textbook",
        "data": {"n_train": 8, "n_test": 4},
        "network": {"hidden": [6, 3]},
        "training": {"epochs": 3, "seeds": [678], "record_timings": False},
        "methods": {"sgd": {"lr": 0.05}, "adam": {"lr": 0.01}, "noise_gaussian": {"lr": 1e-4}},
    }
    return sweep_plan.plan(config.validate(raw, "tiny.toml"), {"lr": "1e-3:1:4", "eta": [0.01, 1.0], "seeds": 2})


def stored_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.npz"))}


def test_a_sweep_on_dask_is_byte_identical_to_the_process_pool(cluster, tmp_path):
    plan = tiny_plan()
    pooled = run_sweep(plan, ResultStore(tmp_path / "pool"), executors.ProcessPoolExecutor(2), quiet=True)
    with executors.DaskExecutor(cluster.scheduler_address) as executor:
        assert executor.workers == 2
        on_dask = run_sweep(plan, ResultStore(tmp_path / "dask"), executor, quiet=True)
    assert on_dask.trained == pooled.trained == len(plan.specs())
    assert on_dask.analysis == pooled.analysis
    files = stored_files(tmp_path / "dask")
    assert len(files) == len(plan.specs())
    assert files == stored_files(tmp_path / "pool")


def test_a_plugin_problem_trains_on_dask_as_in_this_process(cluster, tmp_path):
    """The workers are fresh interpreters: each imports the problem's plugin file again from the Source its runs carry."""
    shutil.copy(Path(__file__).resolve().parent.parent / "examples" / "three_hump_camel.py", tmp_path)
    raw = {
        "name": "camel",
        "problem": {"plugin": "three_hump_camel.py:three_hump_camel", "options": {"sigma": 0.1}},
        "training": {"epochs": 20, "seeds": [1, 2], "record_timings": False},
        "methods": {"sgd": {"lr": 0.05}, "adam": {"lr": 0.05}},
    }
    experiment = config.validate(raw, "camel.toml", base_dir=tmp_path)
    with executors.DaskExecutor(cluster.scheduler_address) as executor:
        on_dask = runner.run_experiment(experiment, ResultStore(tmp_path / "dask"), executor, quiet=True)
    here = runner.run_experiment(experiment, ResultStore(tmp_path / "here"), executors.create("inprocess"), quiet=True)
    assert on_dask.trained == here.trained == 4
    assert stored_files(tmp_path / "dask") == stored_files(tmp_path / "here")


def square_but_die_once(task, marker_dir):
    """Kills its own worker process the first time it sees task 3."""
    marker = Path(marker_dir) / f"{task}.started"
    if task == 3 and not marker.exists():
        marker.touch()
        os._exit(1)
    return task * task


def fail_on_two(task, shared):
    if task == 2:
        raise ValueError("bad task")
    return task + shared


def test_a_worker_that_dies_mid_task_is_replaced_and_the_task_rerun(cluster, tmp_path):
    with executors.DaskExecutor(cluster.scheduler_address) as executor:
        outcomes = dict(executor.run(square_but_die_once, list(range(6)), str(tmp_path)))
        assert outcomes == {task: task * task for task in range(6)}
        assert (tmp_path / "3.started").exists()  # it did die once
        # a task that raises every time comes back as its exception after the retries; the others finish
        outcomes = dict(executor.run(fail_on_two, [1, 2, 3], 10))
    assert outcomes[1] == 11 and outcomes[3] == 13
    assert isinstance(outcomes[2], ValueError)


def test_without_an_address_a_local_cluster_is_started_and_closed():
    executor = executors.create("dask", workers=1)
    with executor:
        assert dict(executor.run(fail_on_two, [1, 3], 1)) == {1: 2, 3: 4}
        cluster = executor._cluster
        assert cluster is not None and cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert executor._cluster is None and cluster.status.name == "closed"


def test_an_unreachable_scheduler_or_a_missing_extra_is_a_config_error(monkeypatch):
    with pytest.raises(ConfigError, match=r"--scheduler: cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'"):
        with executors.DaskExecutor("tcp://127.0.0.1:9") as executor:
            executor.workers  # noqa: B018  (connecting is lazy)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"needs the optional extra reportgen\[dask\].*pip install 'reportgen\[dask\]'"):
        executors.create("dask")


def test_tasks_that_lose_the_scattered_data_are_rerun_with_it_scattered_again(cluster, monkeypatch):
    """A worker that dies can take the shared data with it: its dependants come back cancelled, and are rerun once."""
    with executors.DaskExecutor(cluster.scheduler_address) as executor:
        client, scatters = executor.client, []
        scatter = client.scatter

        def losing_the_first(*arguments, **options):
            futures = scatter(*arguments, **options)
            scatters.append(futures)
            if len(scatters) == 1:
                client.cancel(futures)  # as if its last copy had died with a worker
            return futures

        monkeypatch.setattr(client, "scatter", losing_the_first)
        outcomes = dict(executor.run(fail_on_two, [1, 3, 5], 10))
    assert outcomes == {1: 11, 3: 13, 5: 15} and len(scatters) >= 2
