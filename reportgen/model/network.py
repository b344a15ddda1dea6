"""The 2018 network: 784 -> 256 -> 128 -> 1, no biases, elu -> tanh -> sigmoid.

Cost per sample is 0.5 * sum((a3 - y)^2); a batch's loss is the sum of its
samples' costs, so batch size 1 gives exactly the 2018 per-step gradient.

Two ELU variants, named by the ``activation`` argument:

* ``"elu"``: the textbook ELU with alpha = 1 (x for x > 0, e^x - 1 otherwise;
  derivative 1 for x > 0, e^x otherwise).
* ``"elu_2018"``: the function the 2018 script called elu, quirks kept:
  x for x > 0 and 3 (e^x - 1) x otherwise; its "derivative" is x for x > 0
  and 3 e^x otherwise (neither is the derivative of the forward function).

This module is the readable version: plain NumPy, fresh arrays, used by the
reference trainer and by outside checks.  ``reportgen.training.engine`` holds the fast
path that must agree with it.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

ACTIVATIONS = ("elu", "elu_2018")
DEFAULT_SIZES = (784, 256, 128, 1)


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def elu_derivative(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))


def elu_2018(x: np.ndarray) -> np.ndarray:
    negative = np.minimum(x, 0.0)
    return np.maximum(x, 0.0) + 3.0 * (np.exp(negative) - 1.0) * negative


def elu_2018_derivative(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 3.0 * np.exp(np.minimum(x, 0.0)))


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(x) ** 2


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    s = sigmoid(x)
    return s * (1.0 - s)


FIRST_LAYER = {
    "elu": (elu, elu_derivative),
    "elu_2018": (elu_2018, elu_2018_derivative),
}


def check_activation(activation: str) -> None:
    if activation not in FIRST_LAYER:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")


class Forward(NamedTuple):
    """Every layer quantity of one forward pass (rows are samples)."""

    l1: np.ndarray
    a1: np.ndarray
    l2: np.ndarray
    a2: np.ndarray
    l3: np.ndarray
    a3: np.ndarray


def init_params(rng: np.random.RandomState, sizes: Sequence[int] = DEFAULT_SIZES, scale: float = 0.2) -> list[np.ndarray]:
    """Draw w1, w2, w3 in that order as ``randn(shape) * scale``, the 2018 rule."""
    return [rng.randn(n_in, n_out) * scale for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def forward(params: Sequence[np.ndarray], X: np.ndarray, activation: str = "elu") -> Forward:
    check_activation(activation)
    w1, w2, w3 = params
    act1, _ = FIRST_LAYER[activation]
    l1 = X @ w1
    a1 = act1(l1)
    l2 = a1 @ w2
    a2 = np.tanh(l2)
    l3 = a2 @ w3
    a3 = sigmoid(l3)
    return Forward(l1, a1, l2, a2, l3, a3)


def cost(a3: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cost 0.5 * sum((a3 - y)^2) over the output units."""
    return 0.5 * np.sum((a3 - y) ** 2, axis=1)


def as_targets(y: np.ndarray, n_samples: int) -> np.ndarray:
    return np.asarray(y, dtype=float).reshape(n_samples, -1)


def loss_and_grads(params: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, activation: str = "elu") -> tuple[float, list[np.ndarray]]:
    """Summed cost over the batch and its gradient with respect to w1, w2, w3.

    Chain rule, with ``*`` elementwise and f_k the layer activations:
    delta3 = (a3 - y) * sigmoid'(l3);   dJ/dW3 = a2^T delta3
    delta2 = (delta3 W3^T) * tanh'(l2); dJ/dW2 = a1^T delta2
    delta1 = (delta2 W2^T) * elu'(l1);  dJ/dW1 = X^T delta1
    """
    X = np.atleast_2d(X)
    y = as_targets(y, X.shape[0])
    w1, w2, w3 = params
    _, act1_derivative = FIRST_LAYER[activation]
    f = forward(params, X, activation)
    delta3 = (f.a3 - y) * sigmoid_derivative(f.l3)
    delta2 = (delta3 @ w3.T) * tanh_derivative(f.l2)
    delta1 = (delta2 @ w2.T) * act1_derivative(f.l1)
    grads = [X.T @ delta1, f.a1.T @ delta2, f.a2.T @ delta3]
    return float(np.sum(cost(f.a3, y))), grads
