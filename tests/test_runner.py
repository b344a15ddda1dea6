"""The batch runner: executor equivalence, caching decisions, resume, divergence and failures."""

import numpy as np
import pytest

from reportgen import config
from reportgen.training import engine, executors, runner
from reportgen.errors import RunError
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS
from reportgen.training.store import ResultStore


def tiny_table(methods=None, **training) -> dict:
    return {
        "name": "tiny",
        "variant": "textbook",
        "data": {"n_train": 8, "n_test": 4},
        "network": {"hidden": [6, 3]},
        "training": {"epochs": 3, "seeds": [678, 5], "record_timings": False, **training},
        "methods": methods or {"sgd": {"lr": 0.05}, "nesterov": {"lr": 0.01}, "noise_gaussian": {"lr": 1e-4}},
    }


def tiny(methods=None, **training):
    return config.validate(tiny_table(methods, **training), "tiny.toml")


def arrays_of(result_set):
    return {name: result_set.arrays[name] for name in (*EPOCH_METRICS, *LAYER_METRICS)}


def test_results_are_bit_identical_across_executors(tmp_path):
    experiment = tiny()
    alone = runner.run_experiment(experiment, ResultStore(tmp_path / "a"), executors.InProcessExecutor(), quiet=True)
    pooled = runner.run_experiment(experiment, ResultStore(tmp_path / "b"), executors.ProcessPoolExecutor(2), quiet=True)
    assert alone.trained == pooled.trained == 6
    for name, values in arrays_of(alone.result_set).items():
        assert values.shape[:2] == (3, 2)
        assert values.tobytes() == pooled.result_set.arrays[name].tobytes(), name
    assert np.array_equal(alone.result_set.diverged_epoch, pooled.result_set.diverged_epoch)


def test_a_run_depends_only_on_its_own_task(tmp_path):
    together = runner.run_experiment(tiny(), ResultStore(tmp_path / "a"), executors.InProcessExecutor(), quiet=True).result_set
    alone = runner.run_experiment(tiny(methods={"nesterov": {"lr": 0.01}}), ResultStore(tmp_path / "b"), executors.InProcessExecutor(), quiet=True).result_set
    index = together.method_index("nesterov")
    assert together.arrays["train_cost_logged"][index].tobytes() == alone.arrays["train_cost_logged"][0].tobytes()
    # different seeds start from different weights
    assert together.arrays["train_cost_logged"][index, 0, 0] != together.arrays["train_cost_logged"][index, 1, 0]


def test_second_run_reuses_and_force_retrains(tmp_path):
    store = ResultStore(tmp_path)
    experiment = tiny()
    first = runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    again = runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    assert (first.trained, again.trained, again.reused) == (6, 0, 6)
    forced = runner.run_experiment(experiment, store, executors.InProcessExecutor(), force=True, quiet=True)
    assert forced.trained == 6
    changed = runner.run_experiment(tiny(methods={"sgd": {"lr": 0.06}}), store, executors.InProcessExecutor(), quiet=True)
    assert changed.trained == 2
    assert changed.result_set.key != first.result_set.key


def test_an_interrupted_set_resumes_from_finished_runs(tmp_path):
    store = ResultStore(tmp_path)
    experiment = tiny()
    first = runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    directory = store.directory(experiment.name, first.result_set.key)
    (directory / "meta.json").unlink()  # as if killed before the set was complete
    runs = sorted((directory / "runs").glob("*.npz"))
    runs[0].unlink()
    runs[1].write_bytes(b"half a file")  # a damaged run is retrained, never read
    resumed = runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    assert (resumed.trained, resumed.reused) == (2, 4)
    for name, values in arrays_of(first.result_set).items():
        assert values.tobytes() == resumed.result_set.arrays[name].tobytes()


def test_a_diverging_run_is_recorded_and_the_others_go_on(tmp_path):
    experiment = tiny(methods={"sgd": {"lr": 1e6}, "adam": {"lr": 0.01}}, divergence_threshold=1e3)
    result = runner.run_experiment(experiment, ResultStore(tmp_path), executors.InProcessExecutor(), quiet=True).result_set
    sgd, adam = result.method_index("sgd"), result.method_index("adam")
    assert (result.diverged_epoch[sgd] >= 1).all()
    assert (result.diverged_epoch[adam] == 0).all()
    epoch = result.diverged_epoch[sgd, 0]
    assert np.isnan(result.arrays["train_cost_mean"][sgd, 0, epoch - 1 :]).all()
    assert np.isfinite(result.arrays["train_cost_mean"][adam]).all()


def test_a_failing_run_fails_the_set_but_keeps_the_others(tmp_path, monkeypatch):
    experiment = tiny()
    real_train = engine.train

    def flaky(spec, *args, **kwargs):
        if spec.method.name == "nesterov" and spec.seed == 5:
            raise FloatingPointError("simulated crash")
        return real_train(spec, *args, **kwargs)

    monkeypatch.setattr(engine, "train", flaky)
    store = ResultStore(tmp_path)
    with pytest.raises(RunError, match="1 of 6 run\\(s\\) failed; the others are stored.*nesterov/textbook/seed 5.*simulated crash"):
        runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    monkeypatch.setattr(engine, "train", real_train)
    resumed = runner.run_experiment(experiment, store, executors.InProcessExecutor(), quiet=True)
    assert (resumed.trained, resumed.reused) == (1, 5)


def test_experiments_on_other_data_train_in_one_pool_as_they_would_alone(tmp_path):
    first = tiny()
    second = config.validate({**tiny_table(), "name": "other", "data": {"n_train": 12, "n_test": 4, "selection_seed": 5}}, "other.toml")
    store = ResultStore(tmp_path / "together")
    reports = runner.run_experiments([first, second], store, executors.ProcessPoolExecutor(2), quiet=True)
    assert [(report.trained, report.reused) for report in reports] == [(6, 0), (6, 0)]
    for experiment, report in zip((first, second), reports):
        alone = runner.run_experiment(experiment, ResultStore(tmp_path / experiment.name), executors.InProcessExecutor(), quiet=True)
        assert report.result_set.data == alone.result_set.data  # each run trained on its own experiment's images
        for name, values in arrays_of(alone.result_set).items():
            assert report.result_set.arrays[name].tobytes() == values.tobytes(), name
    # a stored experiment is reused while the other trains what it lacks
    third = config.validate({**tiny_table(methods={"sgd": {"lr": 0.05}, "adam": {}}), "name": "third"}, "third.toml")
    again = runner.run_experiments([first, third], store, executors.InProcessExecutor(), quiet=True)
    assert [(report.trained, report.reused) for report in again] == [(0, 6), (4, 0)]


def test_a_stored_set_is_described_by_the_config_as_written_now(tmp_path):
    store = ResultStore(tmp_path)
    runner.run_experiment(tiny(), store, executors.InProcessExecutor(), quiet=True)
    reworded = config.validate({**tiny_table(), "description": "new words", "report": {"target_cost": 0.5}}, "tiny.toml")
    again = runner.run_experiment(reworded, store, executors.InProcessExecutor(), quiet=True)
    assert (again.trained, again.reused) == (0, 6)  # neither changes a number: nothing retrains
    assert again.result_set.description == "new words" and again.result_set.config["report"]["target_cost"] == 0.5
    assert runner.stored(reworded, store).description == "new words"


def test_timed_results_record_the_machine_and_untimed_ones_do_not(tmp_path):
    timed = runner.run_experiment(tiny(record_timings=True), ResultStore(tmp_path / "a"), executors.InProcessExecutor(), quiet=True).result_set
    where = timed.timings["machine"]
    assert where["cpu"] == runner.cpu_model() and where["cpu"] and where["cores"] >= 1
    assert (where["executor"], where["workers"]) == ("in-process", 1)
    untimed = runner.run_experiment(tiny(), ResultStore(tmp_path / "b"), executors.InProcessExecutor(), quiet=True).result_set
    assert untimed.timings == {}  # byte-identical outputs name no machine
