"""Rprop, Adafactor and Muon beyond the parity vectors: their checks, Muon's shape rule, and one property of each
that follows from its formula (the step trajectories themselves are compared with torch in test_parity.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers import scale_free_parts
from reportgen.optimizers.scale_free_parts import _bfloat16, _newton_schulz
from reportgen.verification import parity


@pytest.mark.parametrize(
    "name, hyperparams, message",
    [
        ("rprop", {"etas": (0.5, 0.9)}, "0 < eta_minus < 1 < eta_plus"),
        ("rprop", {"etas": (0.0, 1.2)}, "0 < eta_minus < 1 < eta_plus"),
        ("rprop", {"etas": 1.2}, "must be 2 numbers [eta_minus, eta_plus]"),
        ("rprop", {"step_sizes": (1.0, 0.1)}, "smallest <= largest"),
        ("rprop", {"step_sizes": (-1.0, 0.1)}, "'step_sizes[0]'"),
        ("adafactor", {"beta2_decay": 0.5}, "'beta2_decay'"),
        ("adafactor", {"d": 0.5}, "'d'"),
        ("adafactor", {"eps": 1e-3}, "must be 2 numbers [eps1, eps2]"),
        ("adafactor", {"eps": (-1.0, 1e-3)}, "'eps[0]'"),
        ("adafactor", {"eps": (None, 1e-3)}, "'eps[0]': must be a finite number"),
        ("adafactor", {"weight_decay": -0.1}, "'weight_decay'"),
        ("adam", {"eps": (1e-8, 1e-3)}, "'eps': must be a finite number"),
        ("muon", {"nesterov": "yes"}, "'nesterov': must be true or false"),
        ("muon", {"ns_steps": 100}, "'ns_steps': must be a whole number from 0 to 99"),
        ("muon", {"ns_steps": 2.5}, "'ns_steps'"),
        ("muon", {"ns_coefficients": (1.0, 2.0)}, "must be 3 numbers [a, b, c]"),
        ("muon", {"ns_coefficients": (1.0, float("inf"), 2.0)}, "'ns_coefficients[1]'"),
        ("muon", {"adjust_lr_fn": None}, "'original', 'match_rms_adamw'"),
        ("muon", {"momentum": -0.9}, "'momentum'"),
    ],
)
def test_bad_hyperparameters_raise_config_error(name, hyperparams, message):
    with pytest.raises(ConfigError, match=r"^" + name) as caught:
        optimizers.create(name, **hyperparams)
    assert message in str(caught.value)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), ()])
def test_muon_names_a_weight_that_is_not_a_matrix(shape):
    optimizer = optimizers.create("muon")
    with pytest.raises(ValueError, match=r"2-D weight matrices only; got a weight of shape " + re.escape(str(shape))):
        optimizer.init([np.zeros((3, 2)), np.zeros(shape)])


def test_torch_defaults_that_toml_cannot_write_have_a_spelling():
    assert optimizers.defaults("adafactor")["eps"] == [np.finfo(np.float64).eps, 1e-3]  # torch's (None, 1e-3) on float64
    assert optimizers.defaults("muon")["adjust_lr_fn"] == "original"  # torch's None


def steps_of(name, grads, **hyperparams):
    """The steps w_before - w_after of ``name`` fed ``grads`` (one array per step), from w = 1."""
    optimizer = optimizers.create(name, **hyperparams)
    params = [np.ones_like(grads[0])]
    state = optimizer.init(params)
    steps = []
    for g in grads:
        before = params[0].copy()
        params, state = optimizer.update(params, [g.copy()], state)
        steps.append(before - params[0])
    return steps


def test_rprop_grows_the_step_while_the_sign_holds_and_skips_the_step_after_a_flip():
    grads = [np.array([1.0, 2.0]), np.array([3.0, -2.0]), np.array([0.5, 1.0])]
    steps = steps_of("rprop", grads, lr=0.1, etas=(0.5, 1.2))
    np.testing.assert_allclose(steps[0], [0.1, 0.1])
    np.testing.assert_allclose(steps[1], [0.12, 0.0])  # second weight flipped: step size halved, no step
    np.testing.assert_allclose(steps[2], [0.144, 0.05])  # the flip was forgotten: the halved size, unchanged


def test_adafactor_first_step_is_the_relative_step_times_the_sign_when_g_squared_is_rank_one():
    """At t = 1 the averages hold g^2's row and column means; for g = u v^T their product over the mean
    row is g^2 itself, so U = sign(g), RMS(U) = 1 needs no clipping, and the step is alpha_1 sign(g)."""
    g = np.outer([1.0, -2.0, 0.5], [3.0, 0.25])
    lr = 0.05
    (step,) = steps_of("adafactor", [g], lr=lr)
    np.testing.assert_allclose(step, lr * np.sign(g), rtol=1e-14)  # w = 1: RMS(w) = 1 > eps2, rho_1 = min(lr, 1)
    (vector_step,) = steps_of("adafactor", [np.array([4.0, -0.1, 2.0])], lr=lr)
    np.testing.assert_allclose(vector_step, lr * np.array([1.0, -1.0, 1.0]), rtol=1e-14)


def test_muon_pushes_every_singular_value_towards_one():
    generator = np.random.default_rng(5)
    for shape in ((4, 6), (6, 4), (3, 3)):
        matrix = generator.standard_normal(shape) * 10.0 ** generator.uniform(-3, 3)
        singular = np.linalg.svd(_newton_schulz(matrix, (3.4445, -4.775, 2.0315), 5, 1e-7), compute_uv=False)
        assert singular.min() > 0.5 and singular.max() < 1.5, (shape, singular)


def test_bfloat16_keeps_eight_significant_bits_ties_to_even_through_float32():
    assert _bfloat16(1 + 2**-8 + 2**-20) == 1 + 2**-7  # above the half-way point: up
    assert _bfloat16(1 + 2**-8) == 1.0 and _bfloat16(1 + 3 * 2**-8) == 1 + 2**-6  # ties: to the even last bit
    assert _bfloat16(1 + 2**-8 + 2**-30) == 1.0  # float32 first makes it a tie, as torch's conversion does
    assert _bfloat16(-3.0) == -3.0 and np.isinf(_bfloat16(np.inf))


def test_muon_parity_needs_torch_s_bfloat16_rounding(monkeypatch):
    """The same Newton-Schulz iterations in float64 miss torch's recorded trajectory by far more than the tolerance."""
    torch = next(source for source in parity.sources() if source.library == "torch")
    optimizer = parity.our_optimizer(torch.arrays, "muon", "default")
    assert parity.replay(torch.arrays, "muon/default", optimizer).max() <= parity.TOLERANCE
    monkeypatch.setattr(scale_free_parts, "_bfloat16", lambda values: np.asarray(values, dtype=np.float64))
    assert parity.replay(torch.arrays, "muon/default", optimizer).max() > 1e-4
