"""Two classic 2-D test functions, with paths that can be drawn on their contour maps.

Both starts are the standard ones of Moré, Garbow and Hillstrom (1981), "Testing unconstrained
optimization software" (ACM TOMS 7(1)), problems 1 and 5:

* Rosenbrock, f(x, y) = (a - x)^2 + b (y - x^2)^2, a = 1, b = 100: a curved, narrow valley; minimum
  f* = 0 at (a, a^2) = (1, 1); start (-1.2, 1).
* Beale, f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2: flat plateaus and steep
  walls; minimum f* = 0 at (3, 0.5); start (1, 1).

Optional gradient noise: the gradient returned is the true one plus sigma / sqrt(B) * N(0, I), B the
batch size (sigma * N(0, I) for a batch of one); ``base.Synthetic`` says how it enters the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.optimizers import values
from reportgen.problems.base import Synthetic, check_options


def _noise_title(sigma: float) -> str:
    return f", gradient noise sigma = {sigma:g}" if sigma else ""


@dataclass(frozen=True)
class Rosenbrock(Synthetic):
    a: float = 1.0
    b: float = 100.0

    def __post_init__(self):
        super().__post_init__()
        check_options(self, a=values.number(), b=values.number(0.0, low_open=True))  # b > 0: else no single minimiser

    view = ((-2.0, 2.0), (-1.0, 3.0))  # the map pictures show: the usual window, the start and the curved valley in it

    @property
    def title(self) -> str:
        return f"Rosenbrock (a = {self.a:g}, b = {self.b:g}{_noise_title(self.sigma)})"

    @property
    def start(self) -> np.ndarray:
        return np.array([-1.2, 1.0])

    @property
    def minimiser(self) -> np.ndarray:
        return np.array([self.a, self.a**2])

    def value(self, point: np.ndarray) -> float:
        x, y = point
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def gradient(self, point: np.ndarray) -> np.ndarray:
        x, y = point
        valley = y - x * x  # zero along the valley floor y = x^2
        return np.array([-2.0 * (self.a - x) - 4.0 * self.b * x * valley, 2.0 * self.b * valley])


BEALE_CONSTANTS = (1.5, 2.25, 2.625)  # term k (k = 1, 2, 3) is c_k - x + x y^k


@dataclass(frozen=True)
class Beale(Synthetic):
    view = ((-1.0, 4.5), (-1.5, 2.0))  # the start, the minimiser and the flat valley between them; f passes 1e5 at the domain's corners

    @property
    def title(self) -> str:
        return f"Beale{_noise_title(self.sigma)}"

    @property
    def start(self) -> np.ndarray:
        return np.array([1.0, 1.0])

    @property
    def minimiser(self) -> np.ndarray:
        return np.array([3.0, 0.5])

    def value(self, point: np.ndarray) -> float:
        x, y = point
        return sum((c - x + x * y**k) ** 2 for k, c in enumerate(BEALE_CONSTANTS, start=1))

    def gradient(self, point: np.ndarray) -> np.ndarray:
        """d/dx (c_k - x + x y^k)^2 = 2 t_k (y^k - 1); d/dy = 2 t_k k x y^(k-1)."""
        x, y = point
        grad = np.zeros(2)
        for k, c in enumerate(BEALE_CONSTANTS, start=1):
            term = c - x + x * y**k
            grad[0] += 2.0 * term * (y**k - 1.0)
            grad[1] += 2.0 * term * k * x * y ** (k - 1)
        return grad
