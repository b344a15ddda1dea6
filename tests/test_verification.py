"""The checks behind the report's Verification section pass on this code, and fail when the code is broken."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
from fixtures import verified

from reportgen import optimizers
from reportgen.model import network
from reportgen.training import engine, reference
from reportgen.verification import gradient, parity, trainers
from reportgen.verification.checks import Check


def failing(checks: list[Check]) -> list[tuple[str, str]]:
    return [(check.case, check.subject) for check in checks if not check.passed]


def test_every_check_passes_on_this_code():
    verification = verified()
    assert len(verification.gradient) == 2 * 3
    assert {check.subject for check in verification.parity if check.group == "torch"} >= set(optimizers.ARTICLE_METHODS[:8])
    assert verification.failed == []
    assert {(check.subject, check.case) for check in verification.engine} == set(optimizers.every_method())


def test_a_check_passes_up_to_its_tolerance_and_nan_fails():
    assert Check("g", "c", "s", "", 1e-6, 1e-6).passed
    assert not Check("g", "c", "s", "", 1.0000001e-6, 1e-6).passed
    assert not Check("g", "c", "s", "", math.nan, 1e-6).passed


# ---- the gradient check


def test_a_gradient_off_by_a_hundredth_of_a_percent_fails():
    def off(weights, X, y, activation):
        cost, grads = network.loss_and_grads(weights, X, y, activation)
        return cost, [grads[0], grads[1] * (1 + 1e-4), grads[2]]

    assert failing(gradient.checks(off)) == [("elu", "w2"), ("elu_2018", "w2")]


def test_the_2018_row_holds_the_declared_slope_not_the_true_one(monkeypatch):
    """With the true derivative of the 2018 activation, backprop would match plain finite differences: the quirk row must then fail."""

    def true_slope(x):
        return np.where(x > 0, 1.0, 3 * (np.exp(np.minimum(x, 0)) - 1) + 3 * x * np.exp(np.minimum(x, 0)))

    monkeypatch.setitem(network.FIRST_LAYER, "elu_2018", (network.elu_2018, true_slope))
    assert failing(gradient.checks()) == [("elu_2018", "w1")]


def test_the_textbook_network_with_the_2018_slope_fails(monkeypatch):
    monkeypatch.setitem(network.FIRST_LAYER, "elu", (network.elu, network.elu_2018_derivative))
    assert failing(gradient.checks()) == [("elu", "w1")]


def test_the_sample_covers_every_layer_and_only_lit_pixels_of_w1():
    X, _ = gradient.image()
    weights = network.init_params(np.random.RandomState(gradient.WEIGHT_SEED))
    entries = gradient.sample(weights, X)
    assert [len(rows) for rows, _ in entries] == [gradient.WEIGHTS_PER_LAYER] * 3
    assert np.all(X[0, entries[0][0]] > 0)
    for (rows, columns), w in zip(entries, weights):
        assert len(set(zip(rows, columns))) == len(rows)  # no weight twice
        assert rows.max() < w.shape[0] and columns.max() < w.shape[1]


# ---- the torch parity check


def test_a_perturbed_torch_vector_fails_its_row_only():
    torch = next(source for source in parity.sources() if source.library == "torch")
    arrays = dict(torch.arrays)
    moved = arrays["adam/custom/params/1"].copy()
    moved[57] *= 1 + 1e-8
    arrays["adam/custom/params/1"] = moved
    checks = parity.checks((dataclasses.replace(torch, arrays=arrays),))
    assert failing(checks) == [("custom", "adam")]
    assert 1e-10 < max(check.value for check in checks) < 1e-7


def test_torch_rows_name_the_settings():
    details = {(check.subject, check.case): check.detail for check in verified().parity if check.group == "torch"}
    assert details["sgd", "default"] == "defaults"
    assert details["momentum", "default"] == "defaults (momentum = 0.9)"
    assert details["adam", "custom"] == "lr = 0.01, betas = (0.8, 0.99), eps = 1e-06"


# ---- the engine check


@pytest.fixture(scope="module")
def plain_run():
    return trainers.run(reference, trainers.make_spec("adam", "textbook"))


def changed(run, metric, change):
    arrays = {key: value.copy() for key, value in run.arrays.items()}
    change(arrays[metric])
    return dataclasses.replace(run, arrays=arrays)


def test_identical_runs_deviate_by_nothing(plain_run):
    assert trainers.deviation(plain_run, plain_run)[0] == 0.0


def test_a_deviation_is_relative_to_the_metrics_scale_and_named(plain_run):
    scale = np.max(np.abs(plain_run.arrays["test_cost"]))

    def nudge(values):
        values[1] += 1e-11 * scale

    value, metric = trainers.deviation(changed(plain_run, "test_cost", nudge), plain_run)
    assert metric == "test_cost"
    assert value == pytest.approx(1e-11, rel=1e-3)


@pytest.mark.parametrize(
    ("metric", "change"),
    [
        ("train_cost_mean", lambda values: values.__setitem__(0, np.nan)),  # NaN where the reference has a number
        ("epoch_seconds", lambda values: values.__setitem__(0, 1e-300)),  # any difference where the scale is zero
    ],
)
def test_disagreeing_values_deviate_infinitely(plain_run, metric, change):
    assert trainers.deviation(changed(plain_run, metric, change), plain_run) == (math.inf, metric)


def test_disagreeing_divergence_deviates_infinitely(plain_run):
    stopped = dataclasses.replace(plain_run, diverged_epoch=2, divergence_reason="weights non-finite")
    assert trainers.deviation(stopped, plain_run) == (math.inf, "divergence")


def test_a_broken_engine_fails_every_row(monkeypatch):
    """The engine with its test costs off by 1e-10 of themselves; two methods keep the test quick."""
    monkeypatch.setattr(optimizers, "METHODS", ("sgd", "adam_noise"))

    def train(*arguments):
        return changed(engine.train(*arguments), "test_cost", lambda values: values.__imul__(1 + 1e-10))

    checks = trainers.checks(fast=SimpleNamespace(train=train))
    assert len(checks) == 4
    assert failing(checks) == [(check.case, check.subject) for check in checks]
    assert {check.detail for check in checks} == {"test_cost"}
