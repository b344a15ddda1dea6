"""The plain trainer against steps written out by hand, and its bookkeeping rules."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.training import reference
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, MethodSpec
from reportgen.training.tasks import RunSpec

SIZES = (784, 8, 4, 1)


def digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in images: about 80% zero pixels like MNIST, the rest in (0, 1]; 0/1 labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 784)) * (rng.random((n, 784)) < 0.2)
    return X, (np.arange(n) % 2).astype(float).reshape(n, 1)


def make_split(n_train: int = 4, n_test: int = 3):
    X_train, y_train = digits(n_train, 1)
    X_test, y_test = digits(n_test, 2)
    return SimpleNamespace(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)


def initial_weights(sizes=SIZES, seed: int = 3):
    rng = np.random.RandomState(seed)
    return [rng.randn(a, b) * 0.2 for a, b in zip(sizes[:-1], sizes[1:])]


def make_spec(name, variant, hp, epochs=1, **options) -> RunSpec:
    options.setdefault("activation", "elu_2018" if variant == "seed-2018" else "elu")
    return RunSpec(MethodSpec(name, "?", variant, hp), seed=0, epochs=epochs, sizes=SIZES, record_timings=False, **options)


def run(spec, split=None, params=None, noise_rng=None, order_seed=5, progress=None):
    split = make_split() if split is None else split
    params = initial_weights() if params is None else params
    noise_rng = np.random.RandomState(7) if noise_rng is None else noise_rng
    return reference.train(spec, split, params, noise_rng, np.random.default_rng(order_seed), progress)


# ---- an independent account of the network, written out for one sample at a time


def hand_forward(w, x, activation):
    l1 = x @ w[0]
    if activation == "elu_2018":
        a1 = np.array([v if v > 0 else 3 * (np.exp(v) - 1) * v for v in l1])
    else:
        a1 = np.array([v if v > 0 else np.exp(v) - 1 for v in l1])
    l2 = a1 @ w[1]
    a2 = np.tanh(l2)
    l3 = a2 @ w[2]
    a3 = 1 / (1 + np.exp(-l3))
    return l1, a1, l2, a2, l3, a3


def hand_cost(w, x, y, activation):
    a3 = hand_forward(w, x, activation)[-1]
    return 0.5 * np.sum((a3 - y) ** 2)


def hand_gradient(w, x, y, activation):
    l1, a1, l2, a2, l3, a3 = hand_forward(w, x, activation)
    s = 1 / (1 + np.exp(-l3))
    d3 = (a3 - y) * s * (1 - s)
    d2 = (w[2] @ d3) * (1 - np.tanh(l2) ** 2)
    if activation == "elu_2018":
        elu_slope = np.array([v if v > 0 else 3 * np.exp(v) for v in l1])
    else:
        elu_slope = np.array([1.0 if v > 0 else np.exp(v) for v in l1])
    d1 = (w[1] @ d2) * elu_slope
    return [np.outer(x, d1), np.outer(a1, d2), np.outer(a2, d3)]


def hand_run(step, split, w, activation, lookahead=None, batch=1):
    """One epoch, the samples in order; returns the logged cost and the final weights."""
    logged = 0.0
    X, Y = split.X_train, split.y_train
    for start in range(0, len(X), batch):
        rows = range(start, min(start + batch, len(X)))
        logged += sum(hand_cost(w, X[i], Y[i], activation) for i in rows)
        point = w if lookahead is None else lookahead(w)
        per_sample = [hand_gradient(point, X[i], Y[i], activation) for i in rows]
        g = [sum(layer) for layer in zip(*per_sample)]
        w = step(w, g)
    return logged, w


def hand_mean_cost(w, X, Y, activation):
    return np.mean([hand_cost(w, x, y, activation) for x, y in zip(X, Y)])


def assert_matches_hand(metrics, logged, w, split, activation):
    np.testing.assert_allclose(metrics.arrays["train_cost_logged"][0], logged, rtol=1e-12)
    np.testing.assert_allclose(metrics.arrays["train_cost_mean"][0], hand_mean_cost(w, split.X_train, split.y_train, activation), rtol=1e-12)
    np.testing.assert_allclose(metrics.arrays["test_cost"][0], hand_mean_cost(w, split.X_test, split.y_test, activation), rtol=1e-12)


def test_sgd_2018_matches_the_hand_written_step_and_its_quirky_elu():
    split, w0 = make_split(), initial_weights()
    logged, w = hand_run(lambda w, g: [wi - 0.05 * gi for wi, gi in zip(w, g)], split, w0, "elu_2018")
    metrics = run(make_spec("sgd", "seed-2018", {"lr": 0.05}), split, w0)
    assert_matches_hand(metrics, logged, w, split, "elu_2018")
    # the textbook ELU gives a different run from the same start
    textbook = run(make_spec("sgd", "textbook", {"lr": 0.05}), split, w0)
    assert abs(textbook.arrays["train_cost_mean"][0] - metrics.arrays["train_cost_mean"][0]) > 1e-6


def test_batches_sum_the_samples_gradients_and_keep_the_last_partial_batch():
    split, w0 = make_split(n_train=5), initial_weights()
    logged, w = hand_run(lambda w, g: [wi - 0.05 * gi for wi, gi in zip(w, g)], split, w0, "elu", batch=2)
    metrics = run(make_spec("sgd", "textbook", {"lr": 0.05}, batch_size=2), split, w0)
    assert_matches_hand(metrics, logged, w, split, "elu")


def test_nesterov_2018_takes_its_gradient_at_the_look_ahead_point_but_logs_the_plain_cost():
    split, w0, alpha, lr = make_split(), initial_weights(), 0.5, 0.05
    velocity = [np.zeros_like(wi) for wi in w0]

    def step(w, g):
        velocity[:] = [alpha * v + lr * gi for v, gi in zip(velocity, g)]
        return [wi - v for wi, v in zip(w, velocity)]

    logged, w = hand_run(step, split, w0, "elu_2018", lookahead=lambda w: [wi - alpha * v for wi, v in zip(w, velocity)])
    metrics = run(make_spec("nesterov", "seed-2018", {"lr": lr, "momentum": alpha}), split, w0)
    assert_matches_hand(metrics, logged, w, split, "elu_2018")


def test_adadelta_2018_climbs_the_gradient():
    split, w0, rho, eps = make_split(), initial_weights(), 0.001, 1e-6
    squares = [np.zeros_like(wi) for wi in w0]
    deltas = [np.zeros_like(wi) for wi in w0]

    def step(w, g):
        new = []
        for i, (wi, gi) in enumerate(zip(w, g)):
            squares[i] = rho * squares[i] + (1 - rho) * gi * gi
            d = -np.sqrt(deltas[i] + eps) / np.sqrt(squares[i] + eps) * gi
            deltas[i] = rho * deltas[i] + (1 - rho) * d * d
            new.append(wi - d)
        return new

    logged, w = hand_run(step, split, w0, "elu_2018")
    metrics = run(make_spec("adadelta", "seed-2018", {"rho": rho, "eps": eps}), split, w0)
    assert_matches_hand(metrics, logged, w, split, "elu_2018")


def test_textbook_adam_corrects_the_bias_by_step():
    split, w0, lr, (b1, b2), eps = make_split(), initial_weights(), 0.01, (0.9, 0.999), 1e-8
    m = [np.zeros_like(wi) for wi in w0]
    v = [np.zeros_like(wi) for wi in w0]
    t = [0]

    def step(w, g):
        t[0] += 1
        new = []
        for i, (wi, gi) in enumerate(zip(w, g)):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi**2
            new.append(wi - lr * (m[i] / (1 - b1 ** t[0])) / (np.sqrt(v[i] / (1 - b2 ** t[0])) + eps))
        return new

    logged, w = hand_run(step, split, w0, "elu")
    metrics = run(make_spec("adam", "textbook", {"lr": lr, "betas": [b1, b2], "eps": eps}), split, w0)
    assert_matches_hand(metrics, logged, w, split, "elu")


def test_noise_training_2018_uses_gumbel_draws_and_the_scalar_gaussian():
    split, w0, lr = make_split(), initial_weights(), 0.01
    hp = {"lr": lr, "eta": 0.001, "gamma": 0.55, "steps_per_epoch": 2}
    rng = np.random.RandomState(11)
    steps = [0]

    def step(w, g):
        G = [rng.gumbel(size=wi.shape) for wi in w]
        n = rng.normal(0, 0.001 / (1 + steps[0] // 2) ** 0.55)
        steps[0] += 1
        return [wi - lr * (Gi + n) for wi, Gi in zip(w, G)]

    logged, w = hand_run(step, split, w0, "elu_2018")
    metrics = run(make_spec("noise_gaussian", "seed-2018", hp), split, w0, noise_rng=np.random.RandomState(11))
    assert_matches_hand(metrics, logged, w, split, "elu_2018")
    np.testing.assert_array_equal(metrics.arrays["grad_norm"][0], [0.0, 0.0, 0.0])


def test_logged_cost_is_measured_before_each_update():
    split = make_split()
    still = run(make_spec("sgd", "seed-2018", {"lr": 0.0}, epochs=2), split)
    # nothing moves: the logged sum is n times the mean cost of the (initial) weights
    np.testing.assert_allclose(still.arrays["train_cost_logged"], 4 * still.arrays["train_cost_mean"], rtol=1e-12)
    np.testing.assert_array_equal(still.arrays["update_norm"], 0.0)
    moving = run(make_spec("sgd", "seed-2018", {"lr": 0.5}, epochs=2), split)
    # the first sample of epoch 1 is costed at the initial weights, later ones after updates
    assert moving.arrays["train_cost_logged"][0] != still.arrays["train_cost_logged"][0]
    assert moving.arrays["train_cost_logged"][1] != 4 * moving.arrays["train_cost_mean"][1]


def test_every_method_and_variant_runs_and_fills_every_metric():
    chosen = {"lr": 0.01, "momentum": 0.9, "rho": 0.9, "alpha": 0.9, "eta": 0.01, "steps_per_epoch": 4, "weight_decay": 0.01}
    for variant, rules in reference.RULES.items():
        for name in rules:
            defaults = optimizers.defaults(name, variant)
            hyperparams = {**defaults, **{key: value for key, value in chosen.items() if key in defaults}}
            metrics = run(make_spec(name, variant, hyperparams, epochs=2))
            assert set(metrics.arrays) == set(EPOCH_METRICS) | set(LAYER_METRICS)
            assert metrics.diverged_epoch == 0
            for key, array in metrics.arrays.items():
                assert array.shape == ((2,) if key in EPOCH_METRICS else (2, 3))
                assert np.all(np.isfinite(array)), (variant, name, key)


def test_divergence_stops_the_run_fills_nan_and_prints_no_warning(recwarn):
    progress = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = run(make_spec("sgd", "textbook", {"lr": 1e300}, epochs=4), progress=progress.append)
    assert metrics.diverged_epoch == 1
    assert metrics.divergence_reason in ("weights non-finite", "max |w| > 1e+06")
    for array in metrics.arrays.values():
        assert np.all(np.isnan(array))
    assert progress == []
    assert len(recwarn) == 0


def test_divergence_at_a_later_epoch_keeps_the_epochs_before():
    # noise training drifts every weight by about -0.58 lr per step, so the
    # largest |w| (0.82 at the start) passes 0.9 after a few epochs
    metrics = run(make_spec("noise_training", "seed-2018", {"lr": 0.01}, epochs=12, divergence_threshold=0.9))
    first = metrics.diverged_epoch
    assert 1 < first < 12 and metrics.divergence_reason == "max |w| > 0.9"
    assert np.all(np.isfinite(metrics.arrays["train_cost_logged"][: first - 1]))
    assert np.all(np.isnan(metrics.arrays["train_cost_logged"][first - 1 :]))


def test_shuffle_permutes_each_epoch_from_the_order_stream():
    split, spec = make_split(), make_spec("sgd", "textbook", {"lr": 0.5}, epochs=1)
    plain = run(spec, split)
    shuffled = run(make_spec("sgd", "textbook", {"lr": 0.5}, epochs=1, shuffle=True), split, order_seed=9)
    order = np.random.default_rng(9).permutation(4)
    assert not np.array_equal(order, np.arange(4))
    permuted = SimpleNamespace(X_train=split.X_train[order], y_train=split.y_train[order], X_test=split.X_test, y_test=split.y_test)
    by_hand = run(spec, permuted)
    for key in ("train_cost_logged", "train_cost_mean", "test_cost"):
        np.testing.assert_allclose(shuffled.arrays[key][0], by_hand.arrays[key][0], rtol=1e-14)
    assert shuffled.arrays["test_cost"][0] != plain.arrays["test_cost"][0]


def test_progress_reports_each_epoch_and_params_are_not_modified():
    params = initial_weights()
    before = [p.copy() for p in params]
    progress = []
    run(make_spec("adam", "seed-2018", {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8}, epochs=3), params=params, progress=progress.append)
    assert progress == [1, 2, 3]
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)


@pytest.mark.parametrize("record", [True, False])
def test_epoch_seconds_follow_record_timings(record):
    spec = RunSpec(MethodSpec("sgd", "a", "textbook", {"lr": 0.01}), seed=0, epochs=2, sizes=SIZES, record_timings=record)
    seconds = run(spec).arrays["epoch_seconds"]
    assert np.all(seconds > 0) if record else np.all(seconds == 0)
