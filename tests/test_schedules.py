"""Learning-rate schedules (reportgen.optimizers.schedules) against torch.optim.lr_scheduler 2.13.0, through the
vectors tools/make_schedule_vectors.py recorded, their validation, and the unscheduled path they must leave alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers import schedules
from reportgen.optimizers.base import Optimizer
from reportgen.verification import parity
from reportgen.verification.parity import (
    SCHEDULE_TOLERANCE,
    our_optimizer,
    replay,
    sequence_deviation,
)

SOURCE = next(source for source in parity.sources() if source.script == "tools/make_schedule_vectors.py")
SEQUENCES = SOURCE.sequences
RUNS = [(method, setting) for method, setting in SOURCE.cases if parity.schedule(SOURCE.arrays, f"{method}/{setting}")]


def kind_of(key: str) -> str:
    return parity.schedule(SOURCE.arrays, key)["kind"]


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_learning_rate_is_torchs_at_every_step(name):
    assert len(SOURCE.arrays[f"lr/{name}/lr"]) >= 1000
    assert sequence_deviation(SOURCE.arrays, name) <= SCHEDULE_TOLERANCE


@pytest.mark.parametrize("method, setting", RUNS, ids=[f"{m}-{s}" for m, s in RUNS])
def test_the_scheduled_trajectory_is_torchs_at_every_step(method, setting):
    deviations = replay(SOURCE.arrays, f"{method}/{setting}", our_optimizer(SOURCE.arrays, method, setting))
    assert len(deviations) >= 200
    assert deviations.max() <= SCHEDULE_TOLERANCE, f"step {deviations.argmax()} deviates {deviations.max():.3g}"


def test_every_kind_is_recorded_with_torchs_defaults_and_other_settings_for_sgd_momentum_and_adam():
    for kind in schedules.KINDS:
        names = [name for name in SEQUENCES if kind_of(f"lr/{name}") == kind]
        assert kind in names and len(names) >= 2, kind
        methods = {method for method, setting in RUNS if kind_of(f"{method}/{setting}") == kind}
        assert {"momentum", "adam"} <= methods, kind
    cycled = {series for name in SEQUENCES for series in ("momentum", "beta1") if f"lr/{name}/{series}" in SOURCE.arrays}
    assert cycled == {"momentum", "beta1"}


def test_the_sequences_and_runs_could_fail():
    """The schedules change the lr a lot over the recorded steps, so an unscheduled optimizer is far off."""
    for method, setting in RUNS:
        unscheduled = optimizers.create(method, **parity.hyperparams(SOURCE.arrays, method, setting))
        assert replay(SOURCE.arrays, f"{method}/{setting}", unscheduled).max() > 1e-3, (method, setting)
    for name in SEQUENCES:
        lrs = SOURCE.arrays[f"lr/{name}/lr"]
        assert lrs.max() - lrs.min() > 0.1 * lrs.max(), name


def test_scheduled_momentum_keeps_torchs_buffer():
    """With lr inside the velocity (v <- mu v + lr g) a changing lr is not torch's SGD: the builder's scheduled form is."""
    key = "momentum/cosine"
    chosen = parity.hyperparams(SOURCE.arrays, "momentum", "cosine")
    planned = schedules.resolve(parity.schedule(SOURCE.arrays, key), optimizers.defaults("momentum"))

    def lr_inside(lr, momentum):
        return optimizers.textbook.momentum(lr, momentum)

    rule_at = schedules.rules(lr_inside, chosen, planned)
    inside = Optimizer("momentum", "textbook", chosen, rule_at(0), planned, rule_at)
    assert replay(SOURCE.arrays, key, inside).max() > 1e-6


# ---- validation


@pytest.mark.parametrize(
    "schedule, message",
    [
        ("cosine", r"schedule: must be a table"),
        ({"T_max": 5}, r"schedule\.kind: missing"),
        ({"kind": "cosin", "T_max": 5}, r"schedule\.kind: unknown schedule kind 'cosin'; did you mean 'cosine'\?"),
        ({"kind": "cosine", "tmax": 5}, r"schedule: cosine has no parameter 'tmax' \(did you mean 'T_max'\?\)"),
        ({"kind": "cosine"}, r"schedule\.T_max: missing, the cosine schedule needs it"),
        ({"kind": "cosine", "T_max": 0}, r"schedule\.T_max: must be a whole number >= 1, got 0$"),
        ({"kind": "cosine", "T_max": 10, "eta_min": -1e-3}, r"schedule\.eta_min: must be a finite number >= 0, got -0\.001"),
        ({"kind": "step", "step_size": 2.5}, r"schedule\.step_size: must be a whole number >= 1, got 2\.5"),
        ({"kind": "step", "step_size": True}, r"schedule\.step_size: must be a whole number"),
        ({"kind": "exponential", "gamma": float("nan")}, r"schedule\.gamma: must be a finite number >= 0, got nan"),
        ({"kind": "multistep", "milestones": [50, 30]}, r"schedule\.milestones: must be increasing, got \[50, 30\]"),
        ({"kind": "multistep", "milestones": [10, 0]}, r"schedule\.milestones\[1\]: must be a whole number >= 1, got 0"),
        ({"kind": "multistep", "milestones": 30}, r"schedule\.milestones: must be a list of step numbers"),
        ({"kind": "linear", "start_factor": 0}, r"schedule\.start_factor: must be a number in \(0, 1\], got 0$"),
        ({"kind": "constant", "factor": 1.5}, r"schedule\.factor: must be a number in \(0, 1\], got 1\.5"),
        ({"kind": "warmup_cosine", "warmup_steps": 0, "T_max": 9}, r"schedule\.warmup_steps: must be a whole number >= 1"),
        ({"kind": "onecycle", "total_steps": 100, "anneal_strategy": "cosine"}, r"schedule\.anneal_strategy: .*got 'cosine' \(did you mean 'cos'\?\)"),
        ({"kind": "onecycle", "total_steps": 100, "cycle_momentum": "yes"}, r"schedule\.cycle_momentum: must be true or false"),
        ({"kind": "onecycle", "total_steps": 100, "max_momentum": 1.0}, r"schedule\.max_momentum: must be a number in \[0, 1\), got 1\.0"),
        ({"kind": "onecycle", "total_steps": 10, "pct_start": 0.1}, r"schedule\.pct_start: 0\.1 with total_steps = 10 gives OneCycleLR a phase of zero steps"),
        ({"kind": "onecycle", "total_steps": 100, "pct_start": 1.0}, r"schedule\.pct_start: 1\.0 .* a phase of zero steps"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(schedule, message):
    with pytest.raises(ConfigError, match=message):
        optimizers.create("momentum", schedule=schedule)


def test_a_method_without_a_learning_rate_cannot_be_scheduled():
    with pytest.raises(ConfigError, match=r"schedule: the method has no learning rate \(hyperparameter lr\) to schedule"):
        optimizers.create("adadelta", "seed-2018", schedule={"kind": "exponential", "gamma": 0.9})


def test_the_caller_names_where_the_schedule_is():
    with pytest.raises(ConfigError, match=r"^methods\.fast\.schedule\.T_max: missing"):
        schedules.resolve({"kind": "cosine"}, optimizers.defaults("adam"), where="methods.fast.schedule")


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adadelta", "rmsprop", "gaussian_noise", "noise_training"])
def test_onecycle_refuses_to_cycle_momentum_a_method_has_not(name):
    with pytest.raises(ConfigError, match=r"schedule\.cycle_momentum: the method has neither momentum nor betas"):
        optimizers.create(name, schedule={"kind": "onecycle", "total_steps": 100})
    optimizers.create(name, schedule={"kind": "onecycle", "total_steps": 100, "cycle_momentum": False})


def test_the_resolved_schedule_has_torchs_defaults_and_is_json():
    optimizer = optimizers.create("adam", schedule={"kind": "onecycle", "total_steps": 300}, lr=0.02)
    assert optimizer.schedule == {
        "kind": "onecycle", "max_lr": 0.02, "total_steps": 300, "pct_start": 0.3, "anneal_strategy": "cos", "cycle_momentum": True,
        "base_momentum": 0.85, "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False,
    }
    assert json.loads(json.dumps(optimizer.schedule)) == optimizer.schedule
    for kind in schedules.KINDS:
        given = {"kind": kind, **{name: value for name, value in EXAMPLES.items() if name in schedules.KINDS[kind][1]}}
        resolved = schedules.resolve(given, optimizers.defaults("momentum"))
        assert list(resolved) == ["kind", *schedules.KINDS[kind][1]]
        assert schedules.resolve(resolved, optimizers.defaults("momentum")) == resolved
        assert json.loads(json.dumps(resolved)) == resolved


EXAMPLES = {"step_size": 10, "milestones": [10, 20], "gamma": 0.5, "T_max": 50, "warmup_steps": 5, "total_steps": 100}


# ---- values for the report, and the steps a schedule has


def test_values_give_the_lr_and_what_onecycle_cycles_per_step():
    momentum = schedules.values({"kind": "onecycle", "total_steps": 100}, optimizers.defaults("momentum"), 101)
    assert set(momentum) == {"lr", "momentum"} and len(momentum["lr"]) == 101
    assert momentum["lr"].max() == pytest.approx(optimizers.defaults("momentum")["lr"])
    assert momentum["momentum"][0] == pytest.approx(0.95) and momentum["momentum"].min() == pytest.approx(0.85)
    assert set(schedules.values({"kind": "onecycle", "total_steps": 100}, optimizers.defaults("nadam"), 10)) == {"lr", "beta1"}
    assert set(schedules.values({"kind": "onecycle", "total_steps": 100, "cycle_momentum": False}, optimizers.defaults("adam"), 10)) == {"lr"}
    cosine = schedules.values({"kind": "cosine", "T_max": 10}, {"lr": 0.5}, 11)["lr"]
    assert cosine[0] == 0.5 and cosine[10] == pytest.approx(0.0, abs=1e-15)


def test_onecycle_ends_where_torch_stops():
    with pytest.raises(ConfigError, match=r"schedule\.total_steps: the onecycle schedule ends after step 100, training asked for step 101"):
        schedules.values({"kind": "onecycle", "total_steps": 100}, optimizers.defaults("adam"), 102)
    optimizer = optimizers.create("adam", schedule={"kind": "onecycle", "total_steps": 3})
    params, state = [np.ones(4)], None
    state = optimizer.init(params)
    for _ in range(4):
        params, state = optimizer.update(params, [np.ones(4)], state)
    with pytest.raises(ConfigError, match=r"schedule\.total_steps"):
        optimizer.update(params, [np.ones(4)], state)


def test_the_lookahead_point_uses_the_momentum_of_its_step():
    """seed-2018 Nesterov takes its gradient at w - mu v: under onecycle, mu is the step's cycled momentum."""
    planned = {"kind": "onecycle", "total_steps": 50, "max_lr": 0.1}
    optimizer = optimizers.create("nesterov", "seed-2018", schedule=planned, momentum=0.9)
    momenta = schedules.values(planned, optimizer.hyperparams, 6)["momentum"]
    params = [np.linspace(-1.0, 1.0, 5)]
    state = optimizer.init(params)
    for step in range(6):
        velocity = state.parts[1].velocity[0].copy()
        np.testing.assert_array_equal(optimizer.lookahead(params, state)[0], params[0] - momenta[step] * velocity)
        params, state = optimizer.update(params, [np.sin(3 * params[0]) + params[0]], state)


# ---- the unscheduled path


@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_an_unscheduled_optimizer_is_todays(name, variant):
    optimizer = optimizers.create(name, variant)
    assert optimizer.schedule is None and optimizer.rule_at is None
    assert optimizer == Optimizer(name, variant, optimizer.hyperparams, optimizer.rule)


@pytest.mark.parametrize("name", [name for name in optimizers.METHODS if name not in ("momentum", "nesterov", *optimizers.UNSCHEDULABLE)])
def test_a_schedule_that_never_changes_lr_gives_the_unscheduled_bits(name):
    """Where lr scales the step last, rebuilding the rule every step changes no bit: the parts keep their state."""
    hold = {"kind": "multistep", "milestones": [10**9]}
    scheduled, plain = optimizers.create(name, schedule=hold), optimizers.create(name)
    assert trajectory(scheduled) == trajectory(plain)


def trajectory(optimizer, steps=30) -> list[bytes]:
    rng = np.random.default_rng(7)
    params = [rng.standard_normal((4, 3)), rng.standard_normal((3, 2))]  # 2-D: Muon takes matrices only
    state = optimizer.init(params, np.random.Generator(np.random.PCG64(1)))
    seen = []
    for _ in range(steps):
        grads = None if optimizer.gradient == "none" else [np.sin(3 * p) + p for p in optimizer.lookahead(params, state)]
        params, state = optimizer.update(params, grads, state)
        seen.append(b"".join(p.tobytes() for p in params))
    return seen
