"""Textbook a-h against torch.optim, step for step, through the recorded vectors that the report's Verification section also shows.

The vectors, their loader and the replay live in reportgen.verification.torch_parity
(made by tools/make_torch_vectors.py with torch 2.13.0, float64).
"""

from __future__ import annotations

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.verification import torch_parity
from reportgen.verification.torch_parity import METHODS, SETTINGS, TOLERANCE, hyperparams, our_optimizer, replay


@pytest.fixture(scope="module")
def vectors():
    return torch_parity.vectors()


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("method", METHODS)
def test_matches_torch_every_step(vectors, method, setting):
    if setting == "default":
        # torch needs momentum spelled out for SGD; it must be our default.
        assert hyperparams(vectors, method, setting).items() <= optimizers.defaults(method, "textbook").items()
    deviations = replay(vectors, f"{method}/{setting}", our_optimizer(vectors, method, setting))
    assert len(deviations) >= 200
    assert deviations.max() <= TOLERANCE, f"{method}/{setting}: step {deviations.argmax()} deviates {deviations.max():.3g}"


def test_methods_a_to_h_are_the_ones_torch_has():
    assert [optimizers.LETTERS[name] for name in METHODS] == list("abcdefgh")


def test_vectors_are_a_real_trajectory(vectors):
    """The recorded runs move the weights far compared with the tolerance, so the comparison can fail."""
    for method in METHODS:
        for setting in SETTINGS:
            key = f"{method}/{setting}"
            moved = max(np.max(np.abs(vectors[f"{key}/params/{i}"][-1] - vectors[f"{key}/initial/{i}"])) for i in range(3))
            assert moved > 1e-3, key


def test_a_wrong_rule_is_caught(vectors):
    """Adam with the 2018 constant bias correction must fail the same comparison."""
    deviations = replay(vectors, "adam/default", optimizers.create("adam", "seed-2018", lr=1e-3))
    assert deviations[0] <= TOLERANCE  # both corrections agree on the first step
    assert deviations.max() > 1e-3


def test_the_vectors_are_shared_read_only(vectors):
    with pytest.raises(ValueError, match="read-only"):
        vectors["adam/default/params/0"][0] = 0.0
