"""The network's backpropagation against central finite differences.

At the 2018 starting weights (seed 678) and on the first training image of
the default selection, ``network.loss_and_grads`` is compared with
(J(w + h) - J(w - h)) / 2h for a fixed random sample of the weights of every
layer. The sample of w1 is drawn from the rows of the image's lit pixels: the
other rows get an exactly-zero gradient from both, which would check nothing.
A layer's deviation is the largest |backprop - finite difference| over its
sample divided by the largest |backprop| entry of the layer (elementwise
ratios blow up where a gradient entry is near zero).

The textbook ELU is checked as it stands. The 2018 activation's backprop
"derivative" is not the derivative of its forward function (a declared quirk,
see ``reportgen.model.network``), and it enters dJ/dW1 only: w2 and w3 are
compared with finite differences directly, and w1 after each first-layer
unit's finite difference is multiplied by the slope the 2018 script declares
over the slope its function has (itself a finite difference of
``network.elu_2018``). With one image, that is exactly the gradient the quirk
gives; a backprop using the true slope would fail the row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen import data
from reportgen.model import network
from reportgen.verification.checks import Check

STEP = 1e-5  # h: truncation error ~h^2, rounding ~1e-16/h; measured deviations ~1e-10 at this h
WEIGHTS_PER_LAYER = 64
TOLERANCE = 1e-6
WEIGHT_SEED = 678  # the 2018 seed: the starting weights the report's runs share
SAMPLE_SEED = 0
LAYERS = ("w1", "w2", "w3")

Gradient = Callable[..., tuple[float, list[np.ndarray]]]  # network.loss_and_grads or a stand-in


def image() -> tuple[np.ndarray, np.ndarray]:
    """The first training image of the default selection and its label, as a batch of one."""
    split = data.load()
    return split.X_train[:1], network.as_targets(split.y_train[:1], 1)


def sample(weights: list[np.ndarray], X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, columns) of WEIGHTS_PER_LAYER entries per layer; w1's rows among the lit pixels."""
    rng = np.random.default_rng(SAMPLE_SEED)
    chosen = []
    for layer, w in enumerate(weights):
        rows = np.flatnonzero(X[0]) if layer == 0 else np.arange(w.shape[0])
        columns = w.shape[1]
        flat = rng.choice(len(rows) * columns, WEIGHTS_PER_LAYER, replace=False)
        chosen.append((rows[flat // columns], flat % columns))
    return chosen


def finite_differences(weights, layer, entries, X, y, activation) -> np.ndarray:
    """(J(w + h) - J(w - h)) / 2h for each (row, column) of ``entries`` in ``layer``, one entry moved at a time."""
    moved = [w.copy() for w in weights]

    def cost() -> float:
        return float(np.sum(network.cost(network.forward(moved, X, activation).a3, y)))

    slopes = []
    for row, column in zip(*entries):
        moved[layer][row, column] = weights[layer][row, column] + STEP
        above = cost()
        moved[layer][row, column] = weights[layer][row, column] - STEP
        below = cost()
        moved[layer][row, column] = weights[layer][row, column]
        slopes.append((above - below) / (2 * STEP))
    return np.array(slopes)


def declared_over_true_slope(l1: np.ndarray) -> np.ndarray:
    """Per first-layer unit: the 2018 script's backprop slope over its activation's actual slope."""
    true = (network.elu_2018(l1 + STEP) - network.elu_2018(l1 - STEP)) / (2 * STEP)
    return network.elu_2018_derivative(l1) / true


def checks(gradient: Gradient = network.loss_and_grads) -> list[Check]:
    """One row per activation and layer: ``gradient``'s largest deviation from finite differences."""
    X, y = image()
    weights = network.init_params(np.random.RandomState(WEIGHT_SEED))
    entries = sample(weights, X)
    rows = []
    # One BLAS thread, as training runs: the products are small, and their last bits, which the
    # differences of nearby costs expose, then cannot depend on how many threads split them.
    with threadpool_limits(1):
        for activation in network.ACTIVATIONS:
            _, backprop = gradient(weights, X, y, activation)
            l1 = network.forward(weights, X, activation).l1[0]
            for layer, name in enumerate(LAYERS):
                expected = finite_differences(weights, layer, entries[layer], X, y, activation)
                detail = "finite differences"
                if activation == "elu_2018" and layer == 0:
                    expected = expected * declared_over_true_slope(l1[entries[layer][1]])
                    detail = "finite differences, each unit's slope replaced by the declared 2018 slope"
                found = backprop[layer][entries[layer]]
                value = np.max(np.abs(found - expected)) / np.max(np.abs(backprop[layer]))
                rows.append(Check("gradient", activation, name, detail, float(value), TOLERANCE))
    return rows
