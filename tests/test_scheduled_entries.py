"""``schedule = {...}`` in an experiment's [methods.NAME] tables: checked against the run, in the cache key, and trained
with the learning rate torch's scheduler would set (the schedules themselves: test_schedules.py)."""

from __future__ import annotations

import numpy as np
import pytest
from bad_inputs import harness

from reportgen import config, optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers.scale_free import rprop
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


def test_a_schedule_is_refused_where_it_would_change_nothing(tmp_path):
    """Rprop's lr only sets its first step sizes: rebuilt every step with an lr falling to 0, as a schedule would, it takes
    the very same steps, so a schedule on it is refused rather than drawn as if it mattered."""
    gone = {"kind": "exponential", "gamma": 0.0}
    hyperparams = optimizers.defaults("rprop")
    rule_at = optimizers.schedules.rules(rprop, hyperparams, optimizers.schedules.resolve(gone, hyperparams))
    steady = optimizers.create("rprop")
    runs = []
    for rule in (lambda step: steady.rule, rule_at):
        weights = [np.array([[0.5, -1.0], [2.0, 0.1]])]
        state = steady.rule.transform.init(weights, None)
        for step in range(6):
            update, state = rule(step).transform.update([np.sin(3 * w) + w for w in weights], state, weights)
            weights = [w - u for w, u in zip(weights, update)]
        runs.append(weights[0])
    np.testing.assert_array_equal(runs[0], runs[1])
    with pytest.raises(ConfigError, match="methods.rprop.schedule: rprop: its lr only sets the first step sizes"):
        _load(tmp_path, '[methods.rprop]\nschedule = { kind = "exponential", gamma = 0.5 }\n')
    with pytest.raises(ConfigError, match="rprop: its lr only sets"):
        optimizers.create("rprop", schedule=gone)
