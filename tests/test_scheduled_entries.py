"""``schedule = {...}`` in an experiment's [methods.NAME] tables: checked against the run, in the cache key, and trained
with the learning rate torch's scheduler would set (the schedules themselves: test_schedules.py)."""

from __future__ import annotations

import numpy as np
import pytest
from bad_inputs import harness

from reportgen import config, optimizers
from reportgen.errors import ConfigError
from reportgen.training import methods

ONECYCLE = '[methods.fast]\nmethod = "momentum"\nlr = 0.05\nschedule = {{ kind = "onecycle", total_steps = {steps} }}\n'


def _load(tmp_path, methods_toml: str):
    return config.load(harness.write_config(tmp_path / "tiny.toml", n_train=8, epochs=2, methods=methods_toml))


def test_a_schedule_enters_the_spec_and_the_cache_key(tmp_path):
    plain = _load(tmp_path, '[methods.adam]\n')
    scheduled = _load(tmp_path, '[methods.adam]\nschedule = { kind = "cosine", T_max = 8 }\n')
    assert scheduled.methods[0].schedule == {"kind": "cosine", "T_max": 8, "eta_min": 0.0}
    assert plain.numeric_config() != scheduled.numeric_config()
    assert methods.optimizer(scheduled.methods[0]).schedule == scheduled.methods[0].schedule


def test_onecycle_must_last_the_whole_run(tmp_path):
    updates = 2 * 8  # epochs x steps per epoch at batch 1
    assert _load(tmp_path, ONECYCLE.format(steps=updates)).methods[0].schedule["total_steps"] == updates
    with pytest.raises(ConfigError, match=f"methods.fast.schedule.total_steps: {updates - 1} is fewer than the run's {updates} updates"):
        _load(tmp_path, ONECYCLE.format(steps=updates - 1))


def test_onecycle_peaks_at_the_methods_lr_unless_told_otherwise(tmp_path):
    """max_lr left out stays unset, so a sweep of lr moves the peak."""
    spec = _load(tmp_path, ONECYCLE.format(steps=16)).methods[0]
    assert spec.schedule["max_lr"] is None
    peaks = []
    for lr in (0.05, 0.2):
        optimizer = optimizers.create("momentum", schedule=spec.schedule, **{**spec.hyperparams, "lr": lr})
        assert optimizer.schedule["max_lr"] == lr
        peaks.append(optimizers.schedules.values(spec.schedule, {**spec.hyperparams, "lr": lr}, 16)["lr"].max())
    assert 0.04 < peaks[0] <= 0.05 and np.isclose(peaks[1] / peaks[0], 4.0, rtol=1e-12)


@pytest.mark.parametrize(
    "table, message",
    [
        ('schedule = { kind = "cosin", T_max = 8 }', "methods.adam.schedule.kind: unknown schedule kind 'cosin'; did you mean 'cosine'?"),
        ('schedule = { kind = "cosine" }', "methods.adam.schedule.T_max: missing"),
        ('schedule = { kind = "step", step_size = 0 }', "methods.adam.schedule.step_size: must be a whole number >= 1, got 0"),
        ('schedule = "cosine"', "methods.adam.schedule: must be a table"),
    ],
)
def test_a_bad_schedule_names_its_field(tmp_path, table, message):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"[methods.adam]\n{table}\n")
    assert message in str(caught.value)
