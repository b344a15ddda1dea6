"""The built-in problems: gradients against finite differences, known optima reached, noise as documented."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reportgen import data, optimizers, problems
from reportgen.errors import ConfigError
from reportgen.problems import Batch
from reportgen.training.results import EPOCH_METRICS
from reportgen.verification import problem_gradients

SYNTHETIC = ["rosenbrock", "beale", "noisy-quadratic"]
CHECKED = [  # (name, options): every problem, the noisy ones with their noise on (the loss carries the same draw)
    ("digits-softmax", {}),
    ("digits-mlp", {}),
    ("rosenbrock", {}),
    ("rosenbrock", {"sigma": 0.5}),
    ("beale", {"sigma": 0.5}),
    ("noisy-quadratic", {}),
    ("noisy-quadratic", {"d": 7, "kappa": 1e4, "sigma": 2.0}),
]


def ten_digits(train_per_digit: int, test_per_digit: int = 1) -> data.HeldOut:
    """Real images of all ten digits from the embedded sample, as ``data.load_digits`` gives them to a problem."""
    return data.load_digits(train_per_digit=train_per_digit, test_per_digit=test_per_digit)


def images(n: int) -> Batch:
    """``n`` real digits with their class indices, drawn from all ten."""
    split = ten_digits(-(-n // 10))
    return Batch(split.X_train[:n], split.y_train[:n], size=n)


def noisy_batches(problem, seed: int = 0, batch_size: int = 1):
    """A synthetic problem's batches, epoch after epoch, from one generator."""
    rng = np.random.default_rng(seed)
    while True:
        yield from problem.batches(None, batch_size, rng)


def batch_for(problem) -> Batch:
    return images(16) if isinstance(problem, problems.DigitsNetwork) else next(noisy_batches(problem))


def random_point(problem) -> list[np.ndarray]:
    """Away from the start: the digit models with their biases too, the synthetic problems by about 1 per coordinate."""
    rng = np.random.default_rng(5)
    if isinstance(problem, problems.DigitsNetwork):
        return [w + 0.05 * rng.standard_normal(w.shape) for w in problem.initial_params(4)]
    return [x + rng.standard_normal(x.shape) for x in problem.initial_params()]


def descend(problem, lr: float, steps: int, batches=None, params=None) -> list[np.ndarray]:
    """Plain gradient descent, w <- w - lr * grad, for ``steps`` steps on ``batches`` (default: the exact objective)."""
    params = problem.initial_params(0) if params is None else params
    for batch in itertools.islice(itertools.repeat(Batch()) if batches is None else batches, steps):
        _, grads = problem.loss_and_grads(params, batch)
        for w, g in zip(params, grads):
            w -= lr * g
    return params


# --- gradients -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "options"), CHECKED, ids=lambda value: str(value))
def test_every_gradient_matches_finite_differences_at_the_start_and_at_a_random_point(name, options):
    problem = problems.create(name, **options)
    for params in (problem.initial_params(0), random_point(problem)):
        errors = problem_gradients.relative_errors(problem, params, batch_for(problem))
        assert len(errors) == len(params)
        assert max(errors) <= problem_gradients.TOLERANCE, errors


class Skewed:
    """A problem whose gradient of one parameter array is off by ``factor``."""

    def __init__(self, problem, array: int, factor: float):
        self.problem, self.array, self.factor = problem, array, factor

    def loss_and_grads(self, params, batch):
        loss, grads = self.problem.loss_and_grads(params, batch)
        grads[self.array] = grads[self.array] * self.factor
        return loss, grads


@pytest.mark.parametrize("name", ["digits-mlp", "rosenbrock", "noisy-quadratic"])
def test_the_check_catches_a_gradient_off_by_ten_parts_in_a_million(name):
    problem = problems.create(name)
    params = problem.initial_params(0)
    last = len(params) - 1
    errors = problem_gradients.relative_errors(Skewed(problem, last, 1 + 1e-5), params, batch_for(problem))
    assert errors[last] > problem_gradients.TOLERANCE
    assert all(error <= problem_gradients.TOLERANCE for error in errors[:last])


# --- known optima ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SYNTHETIC)
def test_at_the_optimum_the_gradient_is_zero_and_every_metric_is_zero(name):
    problem = problems.create(name)
    loss, (grad,) = problem.loss_and_grads(problem.optimum, Batch())
    assert np.max(np.abs(grad)) < 1e-12
    assert loss == problem.optimum_value == 0.0
    assert problem.evaluate(problem.optimum) == {"train_cost_mean": 0.0, "suboptimality": 0.0, "distance": 0.0}


def test_the_surfaces_have_their_literature_optima_and_starting_values():
    rosenbrock, beale = problems.create("rosenbrock"), problems.create("beale")
    assert rosenbrock.optimum[0].tolist() == [1.0, 1.0] and rosenbrock.initial_params()[0].tolist() == [-1.2, 1.0]
    assert beale.optimum[0].tolist() == [3.0, 0.5] and beale.initial_params()[0].tolist() == [1.0, 1.0]
    # f at the starts as Moré, Garbow and Hillstrom (1981) give them: 24.2, and 1.5^2 + 2.25^2 + 2.625^2
    assert rosenbrock.evaluate(rosenbrock.initial_params())["train_cost_mean"] == pytest.approx(24.2, rel=1e-14)
    assert beale.evaluate(beale.initial_params())["train_cost_mean"] == pytest.approx(14.203125, rel=1e-14)
    assert problems.create("rosenbrock", a=2.0, b=10.0).optimum[0].tolist() == [2.0, 4.0]


def test_the_quadratic_has_log_spaced_curvatures_with_condition_number_kappa():
    problem = problems.create("noisy-quadratic", d=50, kappa=1e4)
    h = problem.curvatures
    assert h.shape == (50,) and h[0] == pytest.approx(1.0) and h[-1] == pytest.approx(1e-4)
    assert np.allclose(h[1:] / h[:-1], 1e-4 ** (1 / 49))
    start = problem.initial_params(0)[0]
    assert np.array_equal(start, np.ones(50)) and np.array_equal(problem.initial_params(7)[0], start)
    assert problem.evaluate([start])["train_cost_mean"] == pytest.approx(0.5 * np.sum(10.0 ** (-4 * np.arange(50) / 49)))


# --- a tuned method reaches the optimum ------------------------------------------------------------

@pytest.mark.parametrize(("name", "lr", "steps"), [
    ("rosenbrock", 2e-3, 10_000),  # about 8,500 steps needed
    ("beale", 0.03, 1_000),  # about 650
    ("noisy-quadratic", 1.0, 8_000),  # about 7,100: the flattest coordinate shrinks by 1 - 1/kappa a step
])
def test_gradient_descent_without_noise_reaches_the_optimum(name, lr, steps):
    problem = problems.create(name)
    assert problem.evaluate(descend(problem, lr, steps))["distance"] < 1e-3


@pytest.mark.parametrize(("name", "method", "hyperparams", "steps"), [
    ("rosenbrock", "adam", {"lr": 0.05}, 2_500),  # about 1,800 steps needed
    ("noisy-quadratic", "momentum", {"lr": 1.0, "momentum": 0.9}, 1_000),  # about 650
])
def test_a_tuned_method_of_reportgen_optimizers_reaches_the_optimum(name, method, hyperparams, steps):
    problem = problems.create(name)
    optimizer = optimizers.create(method, **hyperparams)
    params = problem.initial_params(0)
    state = optimizer.init(params)
    for _ in range(steps):
        _, grads = problem.loss_and_grads(params, Batch())
        params, state = optimizer.update(params, grads, state)
    assert problem.evaluate(params)["distance"] < 1e-3


def mean_over_seeds(problem, lr: float, steps: int, batch_size: int = 1, seeds: int = 4) -> dict[str, float]:
    finals = [problem.evaluate(descend(problem, lr, steps, noisy_batches(problem, seed, batch_size))) for seed in range(seeds)]
    return {metric: float(np.mean([final[metric] for final in finals])) for metric in problem.metrics}


def test_with_noise_the_distance_to_the_optimum_shrinks_on_average():
    rosenbrock = problems.create("rosenbrock", sigma=1.0)
    assert mean_over_seeds(rosenbrock, 2e-3, 10_000)["distance"] < 0.1  # from 2.2
    quadratic = problems.create("noisy-quadratic")
    start = quadratic.evaluate(quadratic.initial_params())
    small, large = mean_over_seeds(quadratic, 0.5, 2_000), mean_over_seeds(quadratic, 0.5, 2_000, batch_size=100)
    assert small["distance"] < 0.7 * start["distance"] and small["suboptimality"] < 0.3 * start["suboptimality"]
    assert large["distance"] < 0.5 * small["distance"]  # a larger batch, less noise, closer


def test_sgd_on_the_quadratic_settles_at_the_papers_steady_state_risk():
    """Zhang et al. (2019): E[f] -> sum_i lr sigma^2 h_i / (2 B (2 - lr h_i)); measured over 20,000 steps after a burn-in."""
    problem = problems.create("noisy-quadratic", d=20, kappa=10.0, sigma=1.5)
    lr, batch_size = 0.5, 2
    params, batches = problem.initial_params(), noisy_batches(problem, 0, batch_size)
    params = descend(problem, lr, 2_000, batches, params)  # the start forgotten: (1 - lr / kappa)^2000 ~ 1e-44
    values = []
    for _ in range(20_000):
        descend(problem, lr, 1, batches, params)
        values.append(problem.evaluate(params)["train_cost_mean"])
    assert np.mean(values) == pytest.approx(problem.steady_state_risk(lr, batch_size).sum(), rel=0.05)


# --- noise ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SYNTHETIC)
def test_the_same_generator_seed_gives_the_same_noisy_objective_and_no_noise_the_exact_one(name):
    problem = problems.create(name, sigma=0.3)
    params = random_point(problem)
    first, again, other = (problem.loss_and_grads(params, next(noisy_batches(problem, seed))) for seed in (11, 11, 12))
    exact = problem.loss_and_grads(params, Batch())
    assert np.array_equal(first[1][0], again[1][0]) and not np.array_equal(first[1][0], other[1][0])
    assert not np.array_equal(first[1][0], exact[1][0])
    assert np.array_equal(exact[1][0], problem.gradient(params[0])) and exact[0] == problem.evaluate(params)["train_cost_mean"]
    # the noise enters the loss as x . xi, xi the gradient's noise: one stochastic objective, not two
    for noisy_loss, (noisy_grad,) in (first, other):
        assert noisy_loss - exact[0] == pytest.approx(np.dot(params[0], noisy_grad - exact[1][0]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_sigma_zero_gives_the_exact_gradient_and_draws_nothing(name):
    problem = problems.create(name, sigma=0.0)
    params = random_point(problem)
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    epoch = list(problem.batches(None, 4, rng))
    assert epoch == [Batch(size=4)] and rng.bit_generator.state == before
    assert np.array_equal(problem.loss_and_grads(params, epoch[0])[1][0], problem.gradient(params[0]))


def noise_variance(problem, batch_size: int, draws: int = 20_000) -> np.ndarray:
    """Per coordinate, the variance of (noisy gradient - exact gradient) over ``draws`` draws."""
    params = problem.initial_params()
    exact = problem.loss_and_grads(params, Batch())[1][0]
    batches = itertools.islice(noisy_batches(problem, 0, batch_size), draws)
    noise = np.array([problem.loss_and_grads(params, batch)[1][0] - exact for batch in batches])
    return noise.var(axis=0)


def test_the_quadratics_noise_variance_is_proportional_to_curvature_over_batch_size():
    problem = problems.create("noisy-quadratic", d=30, kappa=1e4, sigma=2.0)
    for batch_size in (1, 8):
        ratio = noise_variance(problem, batch_size) / (problem.curvatures * problem.sigma**2 / batch_size)
        assert np.all(np.abs(ratio - 1) < 0.06)  # 20,000 draws: each ratio's standard error is 1%


def test_the_surfaces_noise_is_sigma_over_the_root_of_the_batch_size_on_each_coordinate():
    problem = problems.create("rosenbrock", sigma=0.7)
    for batch_size in (1, 4):
        assert np.allclose(noise_variance(problem, batch_size), 0.49 / batch_size, rtol=0.06)


# --- every problem's contract ----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(problems.PROBLEMS))
def test_loss_and_grads_is_pure_and_evaluate_gives_the_named_metrics(name):
    problem = problems.create(name)
    params = random_point(problem)
    kept = [w.copy() for w in params]
    batch = batch_for(problem)
    loss, grads = problem.loss_and_grads(params, batch)
    assert isinstance(loss, float) and [g.shape for g in grads] == [w.shape for w in params]
    assert all(np.array_equal(w, k) for w, k in zip(params, kept))
    assert not any(np.shares_memory(g, w) for g in grads for w in params)
    split = ten_digits(2) if isinstance(problem, problems.DigitsNetwork) else None
    metrics = problem.evaluate(params, split)
    assert tuple(metrics) == problem.metrics and all(np.isfinite(list(metrics.values())))
    assert problem.title
    # the curves the store already keeps for the 2018 network keep their names on every problem
    stored = ["train_cost_mean", "test_cost", "test_accuracy"] if split else ["train_cost_mean"]
    assert [metric for metric in problem.metrics if metric in EPOCH_METRICS] == stored


@pytest.mark.parametrize("name", SYNTHETIC)
def test_a_synthetic_epoch_is_steps_per_epoch_batches_of_fresh_draws_from_the_generator(name):
    problem = problems.create(name, steps_per_epoch=3, sigma=0.5)
    epoch = list(problem.batches(None, 16, np.random.default_rng(0)))
    draws = np.random.default_rng(0).standard_normal((3, problem.start.size))
    assert [batch.size for batch in epoch] == [16] * 3 and [batch.X for batch in epoch] == [None] * 3
    assert np.array_equal([batch.noise for batch in epoch], draws)


# --- the digit models ------------------------------------------------------------------------------

def test_the_digit_models_draw_he_and_glorot_weights_from_the_seed_and_zero_biases():
    problem = problems.create("digits-mlp")
    params = problem.initial_params(3)
    assert [w.shape for w in params] == [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
    assert all(np.array_equal(w, v) for w, v in zip(params, problem.initial_params(3)))
    assert not np.array_equal(params[0], problem.initial_params(4)[0])
    assert not np.any(params[1]) and not np.any(params[3]) and not np.any(params[5])
    expected = [np.sqrt(2 / 784), np.sqrt(2 / (256 + 128)), np.sqrt(2 / (128 + 10))]  # He (elu), Glorot (tanh, softmax)
    assert [np.std(w) for w in params[::2]] == pytest.approx(expected, rel=0.06)
    softmax = problems.create("digits-softmax").initial_params(3)
    assert [w.shape for w in softmax] == [(784, 10), (10,)] and np.std(softmax[0]) == pytest.approx(np.sqrt(2 / 794), rel=0.06)


def test_softmax_regression_reaches_a_stated_accuracy_on_the_2018_split_and_on_ten_digits():
    problem = problems.create("digits-softmax")
    zeros_and_ones = data.load(n_train=300, n_test=200)  # the 2018 split: labels a float column
    params = descend(problem, 0.5, 30, itertools.repeat(Batch(zeros_and_ones.X_train, zeros_and_ones.y_train)))
    assert problem.evaluate(params, zeros_and_ones)["test_accuracy"] >= 0.98
    split = ten_digits(100, 100)
    params = descend(problem, 0.5, 200, itertools.repeat(Batch(split.X_train, split.y_train, size=1000)))
    assert problem.evaluate(params, split)["test_accuracy"] >= 0.85  # 0.878 measured; chance is 0.1


def test_the_mlp_reaches_a_stated_accuracy_on_ten_digits_in_five_epochs():
    problem = problems.create("digits-mlp")
    split, params, rng = ten_digits(100, 100), problem.initial_params(0), np.random.default_rng(0)
    for _ in range(5):
        params = descend(problem, 0.1, 32, problem.batches(split, 32, rng), params)  # 1,000 images: 32 batches
    metrics = problem.evaluate(params, split)
    assert metrics["test_accuracy"] >= 0.85 and metrics["train_accuracy"] >= 0.95  # 0.870 and 0.962 measured


def test_the_mlps_loss_falls_over_one_epoch_of_mini_batches():
    problem = problems.create("digits-mlp")
    split = data.load(n_train=300, n_test=200)
    params = problem.initial_params(0)
    before = problem.evaluate(params, split)
    rng = np.random.default_rng(0)
    for batch in problem.batches(split, 32, rng):
        _, grads = problem.loss_and_grads(params, batch)
        for w, g in zip(params, grads):
            w -= 0.05 * g
    after = problem.evaluate(params, split)
    assert after["train_cost_mean"] < 0.2 * before["train_cost_mean"] and after["test_accuracy"] >= 0.98


def test_an_epoch_of_batches_visits_every_training_image_once_in_an_order_the_generator_sets():
    split = ten_digits(7)
    problem = problems.create("digits-softmax")
    epoch = list(problem.batches(split, 32, np.random.default_rng(1)))
    assert [len(batch.y) for batch in epoch] == [batch.size for batch in epoch] == [32, 32, 6]
    seen = np.concatenate([batch.X for batch in epoch])
    assert sorted(map(bytes, seen)) == sorted(map(bytes, split.X_train))
    again = list(problem.batches(split, 32, np.random.default_rng(1)))
    assert all(np.array_equal(a.y, b.y) for a, b in zip(epoch, again))


def test_labels_beyond_the_models_classes_are_one_line_naming_the_option():
    problem = problems.create("digits-softmax", classes=3)
    with pytest.raises(ConfigError) as raised:
        problem.loss_and_grads(problem.initial_params(0), Batch(np.zeros((2, 784)), np.array([0, 3])))
    assert str(raised.value) == "option classes: the data's class indices run from 0 to 3, but the model has 3 classes (0 to 2)"


def test_the_cross_entropy_stays_finite_for_huge_logits():
    problem = problems.create("digits-softmax")
    params = [w * 1e4 for w in problem.initial_params(0)]
    loss, grads = problem.loss_and_grads(params, images(8))
    assert np.isfinite(loss) and loss > 100 and all(np.all(np.isfinite(g)) for g in grads)


# --- the registry -----------------------------------------------------------------------------------

def test_options_from_a_config_file_build_a_smaller_network():
    problem = problems.create("digits-mlp", hidden=[64], activations=["tanh"], classes=3)
    assert problem.sizes == (784, 64, 3) and problem.hidden == (64,)
    assert "784-64-3" in problem.title
    quadratic = problems.create("noisy-quadratic", d=8, kappa=100)  # TOML's 100 is an int
    assert quadratic.kappa == 100.0 and isinstance(quadratic.kappa, float) and quadratic.curvatures[-1] == pytest.approx(0.01)


@pytest.mark.parametrize(("name", "options", "message"), [
    ("rosenbrok", {}, "unknown problem 'rosenbrok' (did you mean 'rosenbrock'?)"),
    ("beale", {"sigm": 1}, "problem beale: unknown option 'sigm' (did you mean 'sigma'?)"),
    ("beale", {"sigma": -1}, "problem beale: option sigma: must be a finite number >= 0, got -1"),
    ("rosenbrock", {"sigma": "0.5"}, "problem rosenbrock: option sigma: must be a finite number >= 0, got '0.5'"),
    ("rosenbrock", {"b": 0}, "problem rosenbrock: option b: must be a finite number > 0, got 0"),
    ("noisy-quadratic", {"kappa": 0.5}, "problem noisy-quadratic: option kappa: must be a finite number >= 1, got 0.5"),
    ("noisy-quadratic", {"d": 0}, "problem noisy-quadratic: option d: must be a whole number from 1 to 1000000, got 0"),
    ("noisy-quadratic", {"d": 2.5}, "option d: must be a whole number from 1 to 1000000, got 2.5"),  # not quietly 2
    ("noisy-quadratic", {"steps_per_epoch": True}, "option steps_per_epoch: must be a whole number >= 1, got True"),
    ("digits-mlp", {"hidden": [64]}, "problem digits-mlp: options hidden and activations: 1 layer sizes but 2 activations"),
    ("digits-mlp", {"hidden": [64, 0]}, "option hidden[1]: must be a whole number from 1 to 4096, got 0"),
    ("digits-mlp", {"hidden": [100_000, 64]}, "option hidden[0]: must be a whole number from 1 to 4096, got 100000"),
    ("noisy-quadratic", {"d": 10**9}, "option d: must be a whole number from 1 to 1000000, got 1000000000"),
    ("digits-mlp", {"hidden": "64"}, "option hidden: must be a list, got '64'"),
    ("digits-mlp", {"activations": ["elu", "relu"]}, "option activations[1]: 'relu' is not one of elu, tanh"),
    ("digits-softmax", {"classes": 1}, "problem digits-softmax: option classes: must be a whole number >= 2, got 1"),
])
def test_a_bad_problem_or_option_is_one_line_naming_it(name, options, message):
    with pytest.raises(ConfigError) as raised:
        problems.create(name, **options)
    assert message in str(raised.value) and "\n" not in str(raised.value)
