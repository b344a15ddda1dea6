"""The fast engine reproduces the plain reference trainer on every method and variant."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.model import network
from reportgen.training import engine, reference
from reportgen.verification import trainers
from reportgen.verification.trainers import make_spec, noise_rng, run

SPLIT, WEIGHTS = trainers.split(), trainers.weights()


def assert_same_run(fast, plain):
    """Equal within 1e-12 of each metric's largest value in the run (see reportgen.verification.trainers)."""
    value, metric = trainers.deviation(fast, plain)
    assert value <= trainers.TOLERANCE, f"{metric} deviates {value:.3g}"


ENGINES = ["fused", "numpy"]  # --engine: the kernels, or the NumPy parts alone


@pytest.mark.parametrize("which", ENGINES)
@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_engine_matches_the_reference_with_batch_1(name, variant, which):
    spec = make_spec(name, variant, engine=which)
    assert_same_run(run(engine, spec), run(reference, spec))


@pytest.mark.parametrize("which", ENGINES)
@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_engine_matches_the_reference_with_batch_4_and_a_partial_last_batch(name, variant, which):
    spec = make_spec(name, variant, batch_size=4, epochs=2, engine=which)
    assert_same_run(run(engine, spec), run(reference, spec))


def test_engine_matches_the_reference_when_shuffling():
    spec = make_spec("adam", "textbook", shuffle=True)
    plain = run(reference, spec)
    assert_same_run(run(engine, spec), plain)
    assert not np.allclose(plain.arrays["train_cost_logged"], run(reference, make_spec("adam", "textbook")).arrays["train_cost_logged"])


def test_divergence_is_the_same_in_both_and_silent():
    # noise training drifts every weight by about -0.58 lr per step: past the threshold after a few epochs
    threshold = max(np.max(np.abs(w)) for w in WEIGHTS) + 0.1
    spec = make_spec("noise_training", "seed-2018", hyperparams={"lr": 0.01}, epochs=6, divergence_threshold=threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = run(engine, spec)
    assert 1 < fast.diverged_epoch < 6
    assert_same_run(fast, run(reference, spec))


def test_float32_stays_close_to_float64():
    for name, variant in [("adam", "textbook"), ("nesterov", "seed-2018"), ("noise_gaussian", "seed-2018")]:
        single = run(engine, make_spec(name, variant, dtype="float32"))
        double = run(engine, make_spec(name, variant))
        for key in ("train_cost_logged", "train_cost_mean", "test_cost"):
            np.testing.assert_allclose(single.arrays[key], double.arrays[key], rtol=1e-3, err_msg=f"{name} {key}")


def test_float32_computes_in_float32(monkeypatch):
    seen = []
    update = optimizers.base.Optimizer.update

    def spy(self, params, grads, state, active_rows=None):
        seen.append({p.dtype for p in params} | {g.dtype for g in grads or []})
        return update(self, params, grads, state, active_rows)

    monkeypatch.setattr(optimizers.base.Optimizer, "update", spy)
    run(engine, make_spec("adam", "textbook", dtype="float32", epochs=1))
    assert seen and all(dtypes == {np.dtype(np.float32)} for dtypes in seen)


def test_the_lit_network_gives_the_same_output_as_the_whole_one():
    X = SPLIT.X_train[:3]
    lit, w_lit, X_lit = engine.lit_network(WEIGHTS, X)
    assert 0 < len(lit) < 784
    np.testing.assert_allclose(network.forward(w_lit, X_lit).a3, network.forward(WEIGHTS, X).a3, rtol=1e-13)


def test_params_are_not_modified():
    params = [w.copy() for w in WEIGHTS]
    engine.train(make_spec("adam", "seed-2018", epochs=1), SPLIT, params, noise_rng("seed-2018"), np.random.default_rng(0))
    for p, w in zip(params, WEIGHTS):
        np.testing.assert_array_equal(p, w)


WITH_WEIGHT_DECAY = [name for name, variant in optimizers.every_method() if "weight_decay" in optimizers.defaults(name, variant)]


@pytest.mark.parametrize(
    "name, extra",
    [(name, {}) for name in WITH_WEIGHT_DECAY] + [("radam", {"decoupled_weight_decay": True})],
)
def test_engine_matches_the_reference_with_weight_decay(name, extra):
    spec = make_spec(name, "textbook", hyperparams={"weight_decay": 0.3, **extra}, batch_size=4, epochs=2)
    assert_same_run(run(engine, spec), run(reference, spec))
