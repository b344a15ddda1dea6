"""Lion and the schedule-free methods: properties of their maths that the parity vectors do not single out,
and the checks of their hyperparameters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers.lion_schedulefree import schedule_free_point
from reportgen.verification import parity
from reportgen.verification.parity import replay

SHAPES = ((4, 3), (5,))


def gradient(params):
    """Depends on where it is taken, so the gradient point matters."""
    return [np.sin(3.0 * w) + 0.5 * w + 0.1 for w in params]


def start():
    generator = np.random.default_rng(5)
    return [generator.standard_normal(shape) for shape in SHAPES]


def steps(optimizer, count):
    """Run ``count`` steps; per step, the point the gradient was taken at and the weights after the step."""
    params = start()
    state = optimizer.init(params)
    points, weights = [], []
    for _ in range(count):
        point = [p.copy() for p in optimizer.lookahead(params, state)]
        params, state = optimizer.update(params, gradient(point), state)
        points.append(point)
        weights.append([w.copy() for w in params])
    return points, weights


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_lion_moves_every_weight_by_exactly_lr_in_the_direction_of_the_interpolated_momentum(weight_decay):
    lr, beta1, beta2 = 0.01, 0.5, 0.99
    optimizer = optimizers.create("lion", lr=lr, betas=(beta1, beta2), weight_decay=weight_decay)
    params = start()
    state = optimizer.init(params)
    momentum = [np.zeros(shape) for shape in SHAPES]
    for step in range(6):
        before = [w.copy() for w in params]
        # shrinking tenfold and flipping sign every step: the step must not care about the size, and
        # the momentum (with beta2) outweighs the new gradient in the step (with beta1) only sometimes
        grads = [g * 10.0 ** (2 - step) * (-1) ** step for g in gradient(before)]
        params, state = optimizer.update(params, [g.copy() for g in grads], state)
        for w, w0, g, m in zip(params, before, grads, momentum):
            step_taken = (w0 - w) / lr - weight_decay * w0
            np.testing.assert_allclose(np.abs(step_taken), 1.0, rtol=1e-9)
            np.testing.assert_array_equal(np.sign(step_taken), np.sign(beta1 * m + (1 - beta1) * g))
            m *= beta2
            m += (1 - beta2) * g


def test_schedule_free_sgd_with_momentum_0_is_sgd_at_z_with_x_its_running_mean():
    lr = 0.05
    points, weights = steps(optimizers.create("schedule_free_sgd", lr=lr, momentum=0.0), 8)
    z = start()
    iterates = []
    for point in points:
        for actual, expected in zip(point, z):
            np.testing.assert_allclose(actual, expected, rtol=1e-13, atol=1e-15)  # the gradient is taken at z
        z = [zi - lr * gi for zi, gi in zip(z, gradient(z))]
        iterates.append(z)
    for t, x in enumerate(weights, start=1):
        for layer, actual in enumerate(x):
            np.testing.assert_allclose(actual, np.mean([z_i[layer] for z_i in iterates[:t]], axis=0), rtol=1e-12, atol=1e-14)


def test_schedule_free_sgd_with_momentum_1_takes_the_gradient_at_the_weights():
    points, weights = steps(optimizers.create("schedule_free_sgd", lr=0.05, momentum=1.0), 5)
    for point, before in zip(points, [start(), *weights]):
        for actual, expected in zip(point, before):
            np.testing.assert_array_equal(actual, expected)


def test_schedule_free_warm_up_weights_each_iterate_by_its_squared_learning_rate():
    """With momentum 0, x_t is the average of z_1..z_t weighted by max_{i<=s} lr_i^2 (p = 2, r = 0)."""
    lr, warmup = 0.05, 4
    points, weights = steps(optimizers.create("schedule_free_sgd", lr=lr, momentum=0.0, warmup_steps=warmup), 7)
    rates = [lr * min(1.0, t / warmup) for t in range(1, 8)]
    z, iterates = start(), []
    for rate in rates:
        z = [zi - rate * gi for zi, gi in zip(z, gradient(z))]
        iterates.append(z)
    for t, x in enumerate(weights, start=1):
        for layer, actual in enumerate(x):
            expected = np.average([z_i[layer] for z_i in iterates[:t]], axis=0, weights=np.square(rates[:t]))
            np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)


def test_schedule_free_adamw_with_lr_0_keeps_the_weights_and_stays_finite():
    """No averaging weight yet (0 / 0): the package sets c = 0; so do we."""
    _, weights = steps(optimizers.create("schedule_free_adamw", lr=0.0), 3)
    for w, w0 in zip(weights[-1], start()):
        np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize(
    "name, hyperparams, message",
    [
        ("lion", {"weight_decay": -0.1}, "'weight_decay'"),
        ("lion", {"betas": (0.9, 1.0)}, "'betas[1]'"),
        ("schedule_free_sgd", {"momentum": 1.5}, "'momentum' must be in [0, 1]"),
        ("schedule_free_sgd", {"warmup_steps": -1}, "'warmup_steps': must be a whole number >= 0"),
        ("schedule_free_sgd", {"warmup_steps": 2.5}, "'warmup_steps'"),
        ("schedule_free_sgd", {"warmup_steps": True}, "'warmup_steps'"),
        ("schedule_free_adamw", {"r": -1.0}, "'r'"),
        ("schedule_free_adamw", {"weight_lr_power": float("nan")}, "'weight_lr_power'"),
        ("schedule_free_adamw", {"momentum": 0.9}, "unknown hyperparameter 'momentum'"),
    ],
)
def test_bad_hyperparameters_raise_config_error(name, hyperparams, message):
    with pytest.raises(ConfigError, match=r"^" + name) as caught:
        optimizers.create(name, **hyperparams)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_schedule_free_methods_take_their_gradient_at_y_and_lion_at_the_weights():
    assert [optimizers.describe(name).gradient for name in ("lion", "schedule_free_sgd", "schedule_free_adamw")] == ["current", "lookahead", "lookahead"]
    assert optimizers.create("schedule_free_sgd", warmup_steps=3).hyperparams["warmup_steps"] == 3


def test_the_recorded_gradient_points_catch_a_wrong_interpolation():
    """schedule-free SGD with the gradient at y = (1 - beta) x + beta z (the two weights swapped) fails
    the recorded points: x = z after the first step (c = 1), so from the second step on."""
    recorded = next(source for source in parity.sources() if source.library == "schedulefree")
    optimizer = optimizers.create("schedule_free_sgd")
    swapped = dataclasses.replace(optimizer, rule=optimizer.rule._replace(lookahead=schedule_free_point(0.1, part=0)))
    assert replay(recorded.arrays, "schedule_free_sgd/default", optimizer).max() <= parity.TOLERANCE
    deviations = replay(recorded.arrays, "schedule_free_sgd/default", swapped)
    assert deviations[:2].max() <= parity.TOLERANCE and deviations[2] > 1e-2
