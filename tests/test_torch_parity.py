"""Textbook a-h against torch.optim, step for step, through recorded vectors.

tests/data/torch_vectors.npz is made by tools/make_torch_vectors.py (torch
2.13.0, float64): for each method, torch's defaults and one custom setting,
200 steps on three tensors of different shapes. We feed torch's gradients to
our optimizer and compare the parameters after every step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reportgen import optimizers

VECTORS = Path(__file__).parent / "data" / "torch_vectors.npz"
TORCH_METHODS = optimizers.METHODS[:8]
TOLERANCE = 1e-10


@pytest.fixture(scope="module")
def vectors():
    with np.load(VECTORS, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def relative_deviation(ours, theirs):
    """max |ours - torch| / max |torch| over all tensors: elementwise ratios blow up where a weight crosses zero."""
    difference = max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs))
    return difference / max(np.max(np.abs(b)) for b in theirs)


def replay(vectors, key, optimizer):
    """Our optimizer fed torch's gradients; the relative deviation from torch's parameters after every step."""
    count = sum(1 for name in vectors if name.startswith(f"{key}/initial/"))
    params = [vectors[f"{key}/initial/{index}"].copy() for index in range(count)]
    grads = [vectors[f"{key}/grads/{index}"] for index in range(count)]
    expected = [vectors[f"{key}/params/{index}"] for index in range(count)]
    state = optimizer.init(params)
    deviations = []
    for step in range(int(vectors["steps"])):
        params, state = optimizer.update(params, [g[step].copy() for g in grads], state)
        deviations.append(relative_deviation(params, [e[step] for e in expected]))
    return np.array(deviations)


@pytest.mark.parametrize("config", ["default", "custom"])
@pytest.mark.parametrize("method", TORCH_METHODS)
def test_matches_torch_every_step(vectors, method, config):
    key = f"{method}/{config}"
    hyperparams = json.loads(str(vectors[f"{key}/hyperparams"]))
    if config == "default":
        # torch needs momentum spelled out for SGD; it must be our default.
        assert hyperparams.items() <= optimizers.defaults(method, "textbook").items()
        hyperparams = {}
    deviations = replay(vectors, key, optimizers.create(method, "textbook", **hyperparams))
    assert len(deviations) >= 200
    assert deviations.max() <= TOLERANCE, f"{method}/{config}: step {deviations.argmax()} deviates {deviations.max():.3g}"


def test_vectors_are_a_real_trajectory(vectors):
    """The recorded runs move the weights far compared with the tolerance, so the comparison can fail."""
    for method in TORCH_METHODS:
        for config in ("default", "custom"):
            key = f"{method}/{config}"
            moved = max(np.max(np.abs(vectors[f"{key}/params/{i}"][-1] - vectors[f"{key}/initial/{i}"])) for i in range(3))
            assert moved > 1e-3, key


def test_a_wrong_rule_is_caught(vectors):
    """Adam with the 2018 constant bias correction must fail the same comparison."""
    deviations = replay(vectors, "adam/default", optimizers.create("adam", "seed-2018", lr=1e-3))
    assert deviations[0] <= TOLERANCE  # both corrections agree on the first step
    assert deviations.max() > 1e-3
