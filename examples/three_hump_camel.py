"""The three-hump camel function as a reportgen problem plugin: a 2-D surface with one global minimum and
two local ones, so a path can settle in the wrong valley.

    [problem]
    plugin = "three_hump_camel.py:three_hump_camel"   # relative to the TOML file
    options = { sigma = 0.1 }                          # optional: gradient noise, steps an epoch

f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2 (in Jamil and Yang 2013, "A literature survey of benchmark
functions for global optimization problems", IJMMNO 4(2)): the global minimum f* = 0 at (0, 0); local
minima f = 0.2986 at (+-1.7476, -+0.8738), where the gradient vanishes with y = -x / 2 and
x^4 - 4.2 x^2 + 3.5 = 0, x^2 = (4.2 + sqrt(3.64)) / 2. From the start (-1.5, -1.5) plain gradient
descent settles in the local minimum at (-1.7476, 0.8738).

``reportgen.problems.Synthetic`` gives the rest of the problem convention (the noise, the batches, the
metrics f, f - f* and the distance to the minimiser), as it does for the built-in Rosenbrock and Beale.
"""

from dataclasses import dataclass

import numpy as np

from reportgen.problems import Synthetic


@dataclass(frozen=True)
class ThreeHumpCamel(Synthetic):
    view = ((-2.5, 1.0), (-2.0, 1.5))  # the contour map's window: the start, both minima the paths may reach, and the hump between

    @property
    def title(self) -> str:
        return "Three-hump camel" + (f", gradient noise sigma = {self.sigma:g}" if self.sigma else "")

    @property
    def start(self) -> np.ndarray:
        return np.array([-1.5, -1.5])

    @property
    def minimiser(self) -> np.ndarray:
        return np.zeros(2)

    def value(self, point: np.ndarray) -> float:
        x, y = point
        return 2.0 * x**2 - 1.05 * x**4 + x**6 / 6.0 + x * y + y**2

    def gradient(self, point: np.ndarray) -> np.ndarray:
        x, y = point
        return np.array([4.0 * x - 4.2 * x**3 + x**5 + y, x + 2.0 * y])


def three_hump_camel(sigma: float = 0.0, steps_per_epoch: int = 1) -> ThreeHumpCamel:
    """The factory ``[problem] plugin`` names; its keyword arguments are ``[problem] options``."""
    return ThreeHumpCamel(sigma=sigma, steps_per_epoch=steps_per_epoch)
