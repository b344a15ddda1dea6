"""What every problem shares: the ``Batch`` a gradient is taken on, and the synthetic problems' common part.

A generic trainer calls every problem the same way::

    params = problem.initial_params(seed)
    for epoch in range(epochs):
        for batch in problem.batches(data, batch_size, rng):
            loss, grads = problem.loss_and_grads(params, batch)
            ...  # an optimizer's update
        metrics = problem.evaluate(params, data)

``data`` is the digit models' split (``X_train``, ``y_train``, ``X_test``, ``y_test``) and None for the
synthetic problems, whose ``batches`` carry the noise generator instead of images.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from reportgen.optimizers import values


class Batch(NamedTuple):
    """What one gradient is taken on.

    The digit models read ``X`` (images, one per row) and ``y`` (integer class labels). The synthetic
    problems read ``noise``, the generator their gradient noise is drawn from (None: the exact
    gradient), and ``size``, the batch size, which divides the noise's variance as averaging ``size``
    independent draws would.
    """

    X: np.ndarray | None = None
    y: np.ndarray | None = None
    noise: np.random.Generator | None = None
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
    The start is the same for every seed: seeds change the gradient noise (through the generator the
    batches carry), never where the path begins, so paths from different seeds are comparable.
    ``loss_and_grads`` returns the exact value f(x) as the loss; only the gradient is noisy.
    ``steps_per_epoch`` steps make an epoch, so with the default of 1 the per-epoch record is the path.
    """

    sigma: float = 0.0  # gradient-noise level; 0: every gradient is exact
    steps_per_epoch: int = 1

    metrics = ("loss", "suboptimality", "distance")

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
        for _ in range(self.steps_per_epoch):
            yield Batch(noise=rng, size=batch_size)

    def noise_std(self, size: int) -> float | np.ndarray:
        """The standard deviation of each coordinate's gradient noise for a batch of ``size``."""
        return self.sigma / np.sqrt(size)

    def loss_and_grads(self, params: list[np.ndarray], batch: Batch) -> tuple[float, list[np.ndarray]]:
        (x,) = params
        grad = self.gradient(x)
        if batch.noise is not None and self.sigma > 0:  # sigma 0 draws nothing: the generator's stream stays put
            grad += self.noise_std(batch.size) * batch.noise.standard_normal(x.shape)
        return float(self.value(x)), [grad]

    def evaluate(self, params: list[np.ndarray], data=None) -> dict[str, float]:
        """Noise-free: f(x), f(x) - f* and the Euclidean distance to the minimiser."""
        (x,) = params
        loss = float(self.value(x))
        return {
            "loss": loss,
            "suboptimality": loss - self.optimum_value,
            "distance": float(np.linalg.norm(x - self.minimiser)),
        }
