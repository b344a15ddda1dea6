"""The twelve seed-2018 methods trained the way the 2018 script trained them: the bench's plain-loop baseline.

One plain loop over the epochs and the images in order, batch 1. Per step the
cost and gradient over all 784 pixels (``network.loss_and_grads``), then the
update written as the script wrote it, in fresh arrays (``w = w - lr * g``):
Nesterov takes its gradient a second time at the look-ahead point, the noise
methods run the forward pass only for the cost and draw ``rng.gumbel`` per
layer, and the scalar Gaussian is ``rng.normal(0, sd)`` from the same stream.
The only thing kept during the pass is the epoch's summed cost, which the
script printed: no recorded metrics, no buffers, no skipped pixels.

Given the engine's initial weights and noise stream for the run
(``reportgen.training.seeding``), it trains the very same run, so the bench
compares the same work (tests/test_plain_2018.py). Only the seed-2018
preset's settings are honoured: the resolved numbers of the run's
hyperparameters, none of its quirk switches.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from reportgen.model import network
from reportgen.training.tasks import RunSpec

# Each rule updates one layer: (w, g, state, hp) -> (new w, new state), state a tuple of arrays like w.


def sgd(w, g, state, hp):
    return w - hp["lr"] * g, state


def momentum(w, g, state, hp):
    (v,) = state
    v = hp["momentum"] * v + hp["lr"] * g
    return w - v, (v,)


def adagrad(w, g, state, hp):
    (G,) = state
    G = G + g**2
    return w - hp["lr"] * g / np.sqrt(G + hp["eps"]), (G,)


def adadelta(w, g, state, hp):
    Eg, Edx = state
    rho, eps = hp["rho"], hp["eps"]
    Eg = rho * Eg + (1 - rho) * g**2
    d = -np.sqrt(Edx + eps) / np.sqrt(Eg + eps) * g
    Edx = rho * Edx + (1 - rho) * d**2
    return w - d, (Eg, Edx)  # the script's sign bug: d already carries the minus


def rmsprop(w, g, state, hp):
    (v,) = state
    alpha = hp["alpha"]
    v = alpha * v + (1 - alpha) * g**2
    return w - hp["lr"] * g / np.sqrt(v + hp["eps"]), (v,)


def adam_moments(g, state, hp):
    """m and v as usual, and the script's "bias correction" by the constants 1 - beta."""
    m, v = state
    beta1, beta2 = hp["betas"]
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return m / (1 - beta1), v / (1 - beta2), (m, v)


def adam(w, g, state, hp):
    m_hat, v_hat, state = adam_moments(g, state, hp)
    return w - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"]), state


def nadam(w, g, state, hp):
    beta1 = hp["betas"][0]
    m_hat, v_hat, state = adam_moments(g, state, hp)
    return w - hp["lr"] * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1)) / (np.sqrt(v_hat) + hp["eps"]), state


class Method(NamedTuple):
    rule: Callable
    state_arrays: int = 0  # arrays of the weights' shape the rule keeps per layer
    direction: str = "gradient"  # what the rule is fed: "gradient", "lookahead" (Nesterov's) or "gumbel"
    adds_gaussian: bool = False  # one N(0, sd^2) scalar per step added to every element of the direction


METHODS = {
    "sgd": Method(sgd),
    "momentum": Method(momentum, 1),
    "nesterov": Method(momentum, 1, "lookahead"),
    "adagrad": Method(adagrad, 1),
    "adadelta": Method(adadelta, 2),
    "rmsprop": Method(rmsprop, 1),
    "adam": Method(adam, 2),
    "nadam": Method(nadam, 2),
    "gaussian_noise": Method(sgd, 0, "gradient", adds_gaussian=True),
    "noise_training": Method(sgd, 0, "gumbel"),
    "noise_gaussian": Method(sgd, 0, "gumbel", adds_gaussian=True),
    "adam_noise": Method(adam, 2, "gumbel"),
}


def forward_cost(w, x, y, activation) -> float:
    return float(np.sum(network.cost(network.forward(w, x, activation).a3, y)))


def train(spec: RunSpec, X: np.ndarray, y: np.ndarray, weights: list[np.ndarray], rng: np.random.RandomState) -> list[float]:
    """Train ``spec`` (a seed-2018 method) from ``weights`` with noise from ``rng``; the summed cost of every epoch."""
    method, hp, activation = METHODS[spec.method.name], spec.method.hyperparams, spec.activation
    w = list(weights)
    state = [tuple(np.zeros_like(wi) for _ in range(method.state_arrays)) for wi in w]
    costs = []
    for epoch in range(spec.epochs):
        total = 0.0
        for i in range(len(X)):
            x, target = X[i : i + 1], y[i : i + 1]
            if method.direction == "gradient":
                cost, g = network.loss_and_grads(w, x, target, activation)
            elif method.direction == "lookahead":
                cost = forward_cost(w, x, target, activation)
                _, g = network.loss_and_grads([wi - hp["momentum"] * vi for wi, (vi,) in zip(w, state)], x, target, activation)
            else:
                cost = forward_cost(w, x, target, activation)
                g = [rng.gumbel(size=wi.shape) for wi in w]
            total += cost
            if method.adds_gaussian:  # sd decays per epoch, as the script wrote it
                n = rng.normal(0, hp["eta"] / (1 + epoch) ** hp["gamma"])
                g = [gi + n for gi in g]
            updated = [method.rule(wi, gi, si, hp) for wi, gi, si in zip(w, g, state)]
            w, state = [wi for wi, _ in updated], [si for _, si in updated]
        costs.append(total)
    return costs
