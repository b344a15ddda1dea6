"""What every problem shares: the ``Batch`` a gradient is taken on, and the synthetic problems' common part.

A generic trainer calls every problem the same way::

    params = problem.initial_params(seed)
    for epoch in range(epochs):
        for batch in problem.batches(data, batch_size, rng):
            loss, grads = problem.loss_and_grads(params, batch)
            ...  # an optimizer's update
        metrics = problem.evaluate(params, data)

``data`` is the digit models' split (``X_train``, ``y_train``, ``X_test``, ``y_test``, as ``reportgen.data``
gives them) and None for the synthetic problems, whose batches carry noise drawn from ``rng`` instead of
images. Everything random is drawn in ``batches``: ``loss_and_grads(params, batch)`` is a function of its two
arguments alone, so a finite-difference check, a gradient taken at a lookahead point (schedule-free methods)
and the cost logged during the pass all see one stochastic objective per batch, as with a mini-batch of images.

The metrics ``evaluate`` returns are named as the store names the 2018 network's
(``reportgen.training.results.EPOCH_METRICS``), so one curve has one name on every problem:
``train_cost_mean`` is the objective over the training data after an epoch (a synthetic problem's exact
f(x)), ``test_cost`` and ``test_accuracy`` are on the held-out images; a problem adds its own beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from reportgen.optimizers import values

PATH_DIMENSIONS = 2  # a problem of this many parameters in all has its path recorded, to draw on its surface
# What the site's pictures read of a problem with a known minimiser: where every path starts, the minimiser, and f
# at points (on a contour map, a (2, ...) array of the grid's x and y). Synthetic has them; a plugin's may not.
SURFACE = ("start", "minimiser", "value")


class Batch(NamedTuple):
    """What one gradient is taken on.

    The digit models read ``X`` (images, one per row) and ``y`` (class indices). The synthetic problems
    read ``noise``, standard normal draws, one per coordinate, that the problem scales to its noise level
    (None: the exact objective). ``size`` is the number of samples the gradient averages over: the rows of
    ``X``, or the batch size a synthetic problem simulates, which divides its noise's variance as averaging
    ``size`` independent draws would.
    """

    X: np.ndarray | None = None
    y: np.ndarray | None = None
    noise: np.ndarray | None = None
    size: int = 1


def check_options(problem, **checks: values.Check) -> None:
    """Each named option of ``problem`` checked as the methods' hyperparameters are, and stored normalised (a
    TOML 2 as 2.0): a ConfigError of one line, "option kappa: must be ...", which ``create`` prefixes with the
    problem's name."""
    for option, check in checks.items():
        object.__setattr__(problem, option, check(f"option {option}", getattr(problem, option)))


@dataclass(frozen=True)
class Synthetic:
    """A problem of one parameter vector with a known minimiser, its value f* and exact evaluation.

    Subclasses give ``start``, ``minimiser``, ``value(x)`` and ``gradient(x)`` (a fresh array); the
    noise they add is sigma / sqrt(size) * N(0, I) unless they override ``noise_std(size)``.
    The start is the same for every seed: seeds change the gradient noise (drawn from the generator
    ``batches`` is given), never where the path begins, so paths from different seeds are comparable.
    ``steps_per_epoch`` steps make an epoch, so with the default of 1 the per-epoch record is the path.
    """

    sigma: float = 0.0  # gradient-noise level; 0: every gradient is exact
    steps_per_epoch: int = 1

    metrics = ("train_cost_mean", "suboptimality", "distance")
    # What the suite's scores time (reportgen.analysis.scores): f - f*, never below TARGET_FLOOR. Without noise a
    # tuned baseline can reach f* to the last bit, and a target of exactly 0 is one almost no run meets.
    target = "suboptimality"
    target_floor = 1e-6

    def __post_init__(self):
        check_options(self, sigma=values.number(0.0), steps_per_epoch=values.whole(1))

    @property
    def optimum(self) -> list[np.ndarray]:
        return [self.minimiser.copy()]

    @property
    def optimum_value(self) -> float:
        return float(self.value(self.minimiser))

    def initial_params(self, seed: int | None = None) -> list[np.ndarray]:
        return [self.start.copy()]

    def batches(self, data, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """``steps_per_epoch`` batches of fresh draws from ``rng``; sigma 0 draws nothing, so the stream stays put."""
        for _ in range(self.steps_per_epoch):
            noise = rng.standard_normal(self.start.shape) if self.sigma > 0 else None
            yield Batch(noise=noise, size=batch_size)

    def noise_std(self, size: int) -> float | np.ndarray:
        """The standard deviation of each coordinate's gradient noise for a batch of ``size``."""
        return self.sigma / np.sqrt(size)

    def loss_and_grads(self, params: list[np.ndarray], batch: Batch) -> tuple[float, list[np.ndarray]]:
        """The batch's stochastic objective f(x) + x . xi, xi = noise_std * noise, and its gradient grad f(x) + xi.

        The noise enters the loss as well as the gradient, as in init2winit's noisy quadratic model (loss
        1/2 x^T H x + x^T sqrt(C) eps): its expectation is f, the gradient noise is exactly xi, and the loss a
        batch reports is the one its gradient belongs to, as a mini-batch of images' is."""
        (x,) = params
        loss, grad = float(self.value(x)), self.gradient(x)
        if batch.noise is not None:
            shift = self.noise_std(batch.size) * batch.noise
            loss += float(np.dot(x, shift))
            grad += shift
        return loss, [grad]

    def evaluate(self, params: list[np.ndarray], data=None) -> dict[str, float]:
        """Noise-free: f(x) (the objective's mean over the noise), f(x) - f* and the Euclidean distance to the minimiser."""
        (x,) = params
        cost = float(self.value(x))
        return {
            "train_cost_mean": cost,
            "suboptimality": cost - self.optimum_value,
            "distance": float(np.linalg.norm(x - self.minimiser)),
        }
