"""torch.optim's weight_decay on the textbook methods: checked as torch checks it, L2 added to the gradient
before everything else, absent (not multiplied by zero) when it is 0, and decoupled where torch decouples it."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.errors import ConfigError

SHAPES = ((4, 3), (5,))
L2_METHODS = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam", "adamax", "amsgrad", "radam"]


def start():
    generator = np.random.default_rng(5)
    return [generator.standard_normal(shape) for shape in SHAPES]


def gradients(steps):
    generator = np.random.default_rng(6)
    return [[generator.standard_normal(shape) for shape in SHAPES] for _ in range(steps)]


def test_the_methods_with_weight_decay_are_the_torch_ones_in_the_textbook_variant_only():
    with_it = [name for name, variant in optimizers.every_method() if "weight_decay" in optimizers.defaults(name, variant)]
    assert set(with_it) >= {*L2_METHODS, "adamw"} and not set(with_it) & set(optimizers.ARTICLE_METHODS[8:])
    assert all(optimizers.defaults(name)["weight_decay"] == (1e-2 if name == "adamw" else 0.0) for name in {*L2_METHODS, "adamw"})
    assert not any("weight_decay" in optimizers.defaults(name, "seed-2018") for name in optimizers.ARTICLE_METHODS)


@pytest.mark.parametrize(
    "name, hyperparams, message",
    [
        ("sgd", {"weight_decay": -0.1}, "'weight_decay': must be a finite number >= 0"),
        ("adamw", {"weight_decay": -1e-2}, "'weight_decay'"),
        ("nadam", {"weight_decay": float("nan")}, "'weight_decay'"),
        ("adam", {"weight_decay": "0.1"}, "must be a finite number"),
        ("radam", {"decoupled_weight_decay": 1}, "'decoupled_weight_decay': must be true or false"),
        ("amsgrad", {"decoupled_weight_decay": True}, "unknown hyperparameter 'decoupled_weight_decay'"),
    ],
)
def test_bad_weight_decay_settings_raise_config_error(name, hyperparams, message):
    with pytest.raises(ConfigError, match=r"^" + name) as caught:
        optimizers.create(name, "textbook", **hyperparams)
    assert message in str(caught.value)


def test_the_seed_2018_variant_has_no_weight_decay():
    with pytest.raises(ConfigError, match="unknown hyperparameter 'weight_decay'"):
        optimizers.create("adam", "seed-2018", weight_decay=0.1)


def trajectory(optimizer, grads_per_step, decay_by_hand=0.0):
    """The weights after each step; ``decay_by_hand`` adds decay_by_hand * w to each gradient before the optimizer sees it."""
    params = start()
    state = optimizer.init(params)
    after = []
    for grads in grads_per_step:
        grads = [g + w * decay_by_hand if decay_by_hand else g.copy() for g, w in zip(grads, params)]
        params, state = optimizer.update(params, grads, state)
        after.append([w.copy() for w in params])
    return after


@pytest.mark.parametrize("name", L2_METHODS)
def test_l2_weight_decay_is_added_to_the_gradient_before_everything_else(name):
    """Bit for bit: the method with weight_decay is the method without it fed g + weight_decay w."""
    grads = gradients(20)
    decayed = trajectory(optimizers.create(name, weight_decay=0.3), grads)
    by_hand = trajectory(optimizers.create(name, weight_decay=0.0), grads, decay_by_hand=0.3)
    plain = trajectory(optimizers.create(name, weight_decay=0.0), grads)
    for step_decayed, step_by_hand in zip(decayed, by_hand):
        for first, second in zip(step_decayed, step_by_hand):
            np.testing.assert_array_equal(first, second)
    assert not np.allclose(decayed[-1][0], plain[-1][0], rtol=1e-6, atol=0)  # the decay does something


@pytest.mark.parametrize("name", [*L2_METHODS, "adamw"])
def test_zero_weight_decay_adds_no_term_at_all(name):
    """torch skips the decay at 0 rather than adding 0 * w: an infinite weight stays infinite instead of turning NaN,
    and the other weights move exactly as they do without the setting."""
    params = start()
    params[0][0, 0] = np.inf
    optimizer = optimizers.create(name, weight_decay=0.0)
    params, _ = optimizer.update(params, gradients(1)[0], optimizer.init(params))
    assert params[0][0, 0] == np.inf
    assert np.all(np.isfinite(params[1]))


@pytest.mark.parametrize(
    "name, decoupled",
    [("adamw", {}), ("radam", {"decoupled_weight_decay": True})],
)
def test_decoupled_weight_decay_shrinks_the_weights_apart_from_the_gradient(name, decoupled):
    """AdamW's decay does not pass through the adaptive scaling: the steps with and without it differ by lr wd w."""
    lr, decay = 0.01, 0.5
    grads = gradients(10)
    params = start()
    with_decay = optimizers.create(name, lr=lr, weight_decay=decay, **decoupled)
    without = optimizers.create(name, lr=lr, weight_decay=0.0, **decoupled)
    decayed_state, plain_state = with_decay.init(params), without.init(params)
    for step_grads in grads:
        shrunk, decayed_state = with_decay.update([w.copy() for w in params], [g.copy() for g in step_grads], decayed_state)
        stepped, plain_state = without.update([w.copy() for w in params], [g.copy() for g in step_grads], plain_state)
        for w, first, second in zip(params, shrunk, stepped):
            np.testing.assert_allclose(first, second - lr * decay * w, rtol=1e-13, atol=1e-15)
        params = stepped  # both follow one trajectory, so their moments stay equal
