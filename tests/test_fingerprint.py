"""The results' cache key covers every source file and version that can change a number, and nothing else."""

from __future__ import annotations

import inspect
from pathlib import Path

from fixtures import fixture_experiment

from reportgen import data
from reportgen.model import network
from reportgen.optimizers import transforms
from reportgen.training import engine, fingerprint, record, runner, seeding, tasks, trainer

PACKAGE = fingerprint.PACKAGE_ROOT


def _file(thing) -> Path:
    return Path(inspect.getsourcefile(thing)).resolve()


def test_every_module_a_run_executes_is_in_the_key():
    covered = set(fingerprint.numeric_modules())
    # what a run calls, wherever it lives: the recorder and the divergence rule shared by
    # both trainers, the update rules, the network, the seeds and the data readers
    # and the code that turns the config's settings into runs
    for thing in (record.Recorder, record.divergence, engine.train, transforms.scale, network.forward, seeding.noise_stream, data.load, trainer.train_one, tasks.run_specs):
        assert _file(thing) in covered, _file(thing)


def test_modules_that_change_no_number_are_outside_the_key():
    covered = {path.relative_to(PACKAGE).as_posix() for path in fingerprint.numeric_modules()}
    for outside in ("training/runner.py", "training/store.py", "training/executors.py", "cli.py", "config.py", "progress.py"):
        assert outside not in covered
    assert not any(path.startswith(("analysis/", "report/", "sweep/")) for path in covered)


def test_the_key_follows_numpy_config_and_data_but_not_the_report_table(monkeypatch):
    experiment = fixture_experiment("key", "textbook", (678,), 3, 8)
    split = runner.load_split(experiment.config)
    key = runner.experiment_key(experiment, split)

    with_target = fixture_experiment("key", "textbook", (678,), 3, 8)
    with_target.config["report"]["target_cost"] = 2.5  # the report's text only
    assert runner.experiment_key(with_target, split) == key

    assert runner.experiment_key(fixture_experiment("key", "textbook", (678,), 4, 8), split) != key
    assert fingerprint.results_key(experiment.numeric_config(), "other data") != key

    # NumPy's SIMD exp and log may change the last bits between versions
    monkeypatch.setattr(fingerprint.np, "__version__", "0.0.0")
    assert runner.experiment_key(experiment, split) != key

