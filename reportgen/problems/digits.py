"""Networks that tell ten digits apart: softmax regression and a two-hidden-layer MLP, with biases.

``digits-softmax`` is 784 -> 10 multinomial logistic regression (convex); ``digits-mlp`` is
784 -> 256 -> 128 -> 10 with ELU (alpha = 1), tanh and softmax. Both minimise the mean cross-entropy
over a batch, -1/n sum log p(y_j | x_j), written with log-sum-exp so that no logit overflows.
Parameters are [W1, b1, W2, b2, ...] with W_k of shape (inputs, outputs).

Initialisation, drawn from ``np.random.default_rng(seed)`` layer by layer (weights only; biases 0):
He et al. (2015) normal, variance 2 / fan_in, for the ELU layer, since ELU is the identity for
positive inputs like the rectifier He derived it for; Glorot and Bengio (2010) normal, variance
2 / (fan_in + fan_out), for the tanh and softmax layers, for which theirs keeps the variance of
activations and gradients alike through a near-linear unit. (The 2018 network draws randn * 0.2 for
every layer and has no biases: at 784 inputs that saturates a tanh or softmax layer at the start.)

``data`` is a split with ``X_train``, ``y_train``, ``X_test``, ``y_test`` (images as rows of floats in
[0, 1]) as ``reportgen.data`` gives it: ``load_digits``'s, whose labels are class indices into its
``digits`` (so ``classes`` should be their number), or the 2018 ``load``'s, whose 0/1 labels are a column
of floats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from reportgen.model.network import elu, elu_derivative, tanh_derivative
from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers import values
from reportgen.problems.base import Batch, check_options

PIXELS = 784
ACTIVATIONS = {"elu": (elu, elu_derivative), "tanh": (np.tanh, tanh_derivative)}
MOST_UNITS = 4096  # per hidden layer, as the config allows the 2018 network's model.hidden


def _each(check: values.Check) -> values.Check:
    """A list (a tuple once checked: the dataclass stays hashable) of any length, every item passing ``check``."""

    def check_list(where, given):
        if not isinstance(given, (list, tuple)):
            raise ConfigError(f"{where}: must be a list, got {given!r}")
        return tuple(check(f"{where}[{index}]", item) for index, item in enumerate(given))

    return check_list


def _activation(where, name) -> str:
    if name not in ACTIVATIONS:
        raise ConfigError(f"{where}: {name!r} is not one of {', '.join(ACTIVATIONS)}{did_you_mean(name, ACTIVATIONS)}")
    return name


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``logits`` (one row per sample) against classes ``y``, and its gradient."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_normaliser = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_normaliser
    rows = np.arange(len(y))
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1.0
    return float(-log_p[rows, y].mean()), dlogits / len(y)


@dataclass(frozen=True)
class DigitsNetwork:
    """A fully connected classifier: ``hidden`` layer sizes with their ``activations``, then softmax."""

    hidden: tuple[int, ...] = (256, 128)
    activations: tuple[str, ...] = ("elu", "tanh")
    classes: int = 10

    metrics = ("train_cost_mean", "train_accuracy", "test_cost", "test_accuracy")  # the store's names (see base)
    target, target_floor = "test_cost", 0.0  # the held-out cross-entropy the suite's scores time; no floor
    optimum = None  # not known in closed form

    def __post_init__(self):
        check_options(self, hidden=_each(values.whole(1, MOST_UNITS)), activations=_each(_activation), classes=values.whole(2))
        if len(self.hidden) != len(self.activations):
            raise ConfigError(f"options hidden and activations: {len(self.hidden)} layer sizes but {len(self.activations)} activations")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (PIXELS, *self.hidden, self.classes)

    @property
    def title(self) -> str:
        if not self.hidden:
            return f"Softmax regression {PIXELS} -> {self.classes}, cross-entropy"
        shape = "-".join(str(size) for size in self.sizes)
        return f"MLP {shape} ({', '.join(self.activations)}, softmax), cross-entropy"

    def class_indices(self, y) -> np.ndarray:
        """Labels as a flat integer array (the 0/1 split keeps its labels as a float column), each a class of the model's."""
        indices = np.asarray(y).reshape(-1).astype(np.intp)
        if indices.size and (indices.min() < 0 or indices.max() >= self.classes):
            raise ConfigError(
                f"option classes: the data's class indices run from {indices.min()} to {indices.max()}, "
                f"but the model has {self.classes} classes (0 to {self.classes - 1})"
            )
        return indices

    def initial_params(self, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        params = []
        for layer, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            he = layer < len(self.activations) and self.activations[layer] == "elu"
            variance = 2.0 / fan_in if he else 2.0 / (fan_in + fan_out)
            params += [rng.standard_normal((fan_in, fan_out)) * np.sqrt(variance), np.zeros(fan_out)]
        return params

    def logits(self, params: list[np.ndarray], X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The output layer's inputs z, with every layer's input a and hidden pre-activation h on the way."""
        inputs, pre_activations = [X], []
        for layer, name in enumerate(self.activations):
            h = inputs[-1] @ params[2 * layer] + params[2 * layer + 1]
            pre_activations.append(h)
            inputs.append(ACTIVATIONS[name][0](h))
        return inputs[-1] @ params[-2] + params[-1], inputs, pre_activations

    def loss_and_grads(self, params: list[np.ndarray], batch: Batch) -> tuple[float, list[np.ndarray]]:
        """Backpropagation: delta = dloss/dz of a layer; dW = a^T delta, db = sum over rows of delta,
        and the layer below gets delta W^T times its activation's derivative at its h."""
        logits, inputs, pre_activations = self.logits(params, batch.X)
        loss, delta = softmax_cross_entropy(logits, self.class_indices(batch.y))
        grads = []
        for layer in reversed(range(len(self.sizes) - 1)):
            grads[:0] = [inputs[layer].T @ delta, delta.sum(axis=0)]
            if layer:
                derivative = ACTIVATIONS[self.activations[layer - 1]][1]
                delta = (delta @ params[2 * layer].T) * derivative(pre_activations[layer - 1])
        return loss, grads

    def batches(self, data, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """One epoch: the training images in an order ``rng`` permutes, ``batch_size`` at a time."""
        y = self.class_indices(data.y_train)
        order = rng.permutation(len(y))
        for first in range(0, len(order), batch_size):
            chosen = order[first:first + batch_size]
            yield Batch(data.X_train[chosen], y[chosen], size=len(chosen))

    def evaluate(self, params: list[np.ndarray], data) -> dict[str, float]:
        """Mean cross-entropy and the share of images whose most probable class is their label."""
        metrics = {}
        for part, X, y, cost in (("train", data.X_train, data.y_train, "train_cost_mean"), ("test", data.X_test, data.y_test, "test_cost")):
            y = self.class_indices(y)
            logits = self.logits(params, X)[0]
            metrics[cost] = softmax_cross_entropy(logits, y)[0]
            metrics[f"{part}_accuracy"] = float(np.mean(np.argmax(logits, axis=1) == y))
        return metrics


@dataclass(frozen=True)
class DigitsSoftmax(DigitsNetwork):
    """No hidden layer: multinomial logistic regression."""

    hidden: tuple[int, ...] = ()
    activations: tuple[str, ...] = ()
