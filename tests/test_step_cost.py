"""The per-step cost of every method against SGD, measured in one process by the engines' own step loops.

No assertion here is about real speed: a method that sleeps 2 ms in every update (a plugin) against ones
that do not is a behavioural check that the time measured is the engine's step's.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from reportgen import data
from reportgen.errors import ConfigError
from reportgen.training import methods, step_cost
from reportgen.training.runner import NoData
from reportgen.training.store import ResultStore
from reportgen.training.tasks import RunSpec

SLOW = '''\
import time

from reportgen.optimizers import Rule, Transform, chain, declare
from reportgen.optimizers.parts import scale


def pause() -> Transform:
    def init(params, rng):
        return None

    def update(updates, state, params):
        time.sleep(0.002)
        return updates, state

    return Transform(init, update)


@declare(title="SGD that sleeps", equation=r"w \\leftarrow w - \\mathrm{lr}\\, g", references=("ruder2016",))
def slow(lr=1e-3):
    return Rule(chain(pause(), scale(lr)))
'''

# (template, data, steps of the template's whole run): tiny sizes of the three kinds of problem.
PROBLEMS = {
    "synthetic": ({"problem": "rosenbrock", "epochs": 20}, lambda: NoData(), 20),
    "digits": ({"problem": "digits-mlp", "epochs": 2, "batch_size": 4}, lambda: data.load_digits(train_per_digit=2, test_per_digit=1), 10),
    "2018 network": ({"epochs": 2, "batch_size": 1}, lambda: data.load(n_train=6, n_test=4), 12),
}


def method_specs(tmp_path, **tables) -> tuple:
    (tmp_path / "slow.py").write_text(SLOW, encoding="utf-8")
    return methods.specs(tables, "textbook", 1, 100, tmp_path)


def template(specs, **settings) -> RunSpec:
    return RunSpec(method=specs[0], seed=0, **settings)


@pytest.mark.parametrize("kind", PROBLEMS)
def test_a_slower_step_shows_against_sgd_whose_ratio_is_exactly_one(tmp_path, kind):
    settings, load, whole_run = PROBLEMS[kind]
    specs = method_specs(tmp_path, sgd={}, adam={}, slow={"plugin": "slow.py:slow"})
    cost = step_cost.measure(template(specs, **settings), load(), specs, rounds=3, seconds=1e9)
    sgd, adam, slow = (cost.methods[name] for name in ("sgd", "adam", "slow"))
    assert (sgd.ratio, sgd.low, sgd.high) == (1.0, 1.0, 1.0)
    assert slow.seconds >= 0.002 and slow.low <= slow.ratio <= slow.high  # the sleep is in every step timed
    assert slow.ratio > 1.0  # a median of rounds: a slow spell in one of SGD's runs does not turn it
    assert 0 < adam.seconds and adam.low <= adam.ratio <= adam.high
    assert cost.steps == whole_run  # an unbounded budget: as many steps as the experiment's own runs, never more
    assert (cost.rounds, cost.problem) == (3, settings.get("problem", "mnist01-mlp"))


def test_each_round_moves_the_order_on_by_one_and_times_the_fused_engine(tmp_path, monkeypatch):
    specs = method_specs(tmp_path, sgd={}, momentum={}, adam={})
    trained = []

    def recording(spec, split):
        trained.append(spec)
        return train_one(spec, split)

    train_one = step_cost.train_one
    monkeypatch.setattr(step_cost, "train_one", recording)
    numpy_untimed = template(specs, problem="rosenbrock", epochs=50, engine="numpy", record_timings=False)
    cost = step_cost.measure(numpy_untimed, NoData(), specs, rounds=4, seconds=1e-9)
    names = [spec.method.name for spec in trained]
    assert names[:6] == ["sgd", "sgd", "momentum", "momentum", "adam", "adam"]  # each warmed up, then its step estimated
    rounds = ["sgd", "momentum", "adam"], ["momentum", "adam", "sgd"], ["adam", "sgd", "momentum"], ["sgd", "momentum", "adam"]
    assert names[6:] == [name for order in rounds for name in order]
    assert all(spec.engine == "fused" and spec.record_timings for spec in trained)
    assert cost.steps == step_cost.MIN_STEPS  # a budget that buys no step still times a few
    assert {dict(spec.problem_options)["steps_per_epoch"] for spec in trained[6:]} == {step_cost.MIN_STEPS}  # one epoch of them


def test_without_sgd_there_is_nothing_to_compare_with(tmp_path):
    specs = method_specs(tmp_path, momentum={}, adam={})
    with pytest.raises(ConfigError, match="'sgd'"):
        step_cost.measure(template(specs, problem="rosenbrock", epochs=5), NoData(), specs)


def test_a_method_that_diverges_at_once_has_no_step_time_and_survives_the_store(tmp_path):
    specs = method_specs(tmp_path, sgd={}, momentum={"lr": 1e8})
    cost = step_cost.measure(template(specs, problem="rosenbrock", epochs=20), NoData(), specs, rounds=2, seconds=1e9)
    diverged = cost.methods["momentum"]
    assert all(math.isnan(value) for value in dataclasses.astuple(diverged))
    assert math.isfinite(cost.methods["sgd"].seconds)
    stored = json.loads(json.dumps(cost.to_dict(), allow_nan=False))
    assert stored["methods"]["momentum"] == {"seconds": None, "ratio": None, "low": None, "high": None}
    assert step_cost.StepCost.from_dict(stored).to_dict() == stored
    assert math.isnan(step_cost.StepCost.from_dict(stored).methods["momentum"].ratio)


def test_the_store_keeps_a_step_cost_beside_a_result_set(tmp_path):
    store = ResultStore(tmp_path)
    directory = store.directory("suite-rosenbrock", "0123456789abcdef0123")
    cost = step_cost.StepCost("rosenbrock", rounds=7, steps=500, methods={"sgd": step_cost.MethodCost(1.5e-5, 1.0, 1.0, 1.0)})
    assert store.load_json(directory, "step_cost") is None
    store.save_json(directory, "step_cost", cost.to_dict())
    assert step_cost.StepCost.from_dict(store.load_json(directory, "step_cost")) == cost
    assert cost.coverage == pytest.approx(1 - 2 / 2**7)
    (directory / "step_cost.json").write_text("{ half written", encoding="utf-8")
    assert store.load_json(directory, "step_cost") is None


def test_a_timed_run_is_never_shorter_than_five_steps_nor_longer_than_the_experiments_own(tmp_path):
    specs = method_specs(tmp_path, sgd={})
    digits = step_cost.Runs(template(specs, problem="digits-mlp", epochs=4, batch_size=4), data.load_digits(train_per_digit=2, test_per_digit=1))
    assert [digits.steps(estimate) for estimate in (0.5, 3, 7, 12, 19.9, math.inf)] == [5, 5, 5, 10, 15, 20]  # epochs of 5 steps
    surface = step_cost.Runs(template(specs, problem="rosenbrock", epochs=300), NoData())
    assert [surface.steps(estimate) for estimate in (3, 7.9, 299, math.inf)] == [5, 7, 299, 300]  # one epoch of any length
