"""The twelve seed-2018 methods trained the way the 2018 script trained them: the bench's plain-loop baseline.

One plain loop over the epochs and the images in order, batch 1. Per step the
cost and gradient over all 784 pixels (``network.loss_and_grads``'s chain
rule, its products written with ``.dot`` as the script wrote them), then the
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


def forward(w, x, activation):
    """The script's forward pass over all 784 pixels; its products are ``.dot``, as the script wrote them
    (numpy's ``@`` does not hand the batch-1 outer products of the backward pass to BLAS: 2-3x slower, measured)."""
    w1, w2, w3 = w
    activate, _ = network.FIRST_LAYER[activation]
    l1 = x.dot(w1)
    a1 = activate(l1)
    a2 = np.tanh(a1.dot(w2))
    a3 = network.sigmoid(a2.dot(w3))
    return l1, a1, a2, a3


def cost(a3, y) -> float:
    return 0.5 * float(np.sum((a3 - y) ** 2))


def cost_and_gradient(w, x, y, activation):
    """The cost and the chain rule of ``network.loss_and_grads``; tanh's and the sigmoid's derivatives from their outputs."""
    _, w2, w3 = w
    _, derivative = network.FIRST_LAYER[activation]
    l1, a1, a2, a3 = forward(w, x, activation)
    delta3 = (a3 - y) * (a3 * (1 - a3))
    delta2 = delta3.dot(w3.T) * (1 - a2**2)
    delta1 = delta2.dot(w2.T) * derivative(l1)
    return cost(a3, y), [x.T.dot(delta1), a1.T.dot(delta2), a2.T.dot(delta3)]


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
                logged, g = cost_and_gradient(w, x, target, activation)
            else:
                logged = cost(forward(w, x, activation)[-1], target)
                if method.direction == "lookahead":
                    _, g = cost_and_gradient([wi - hp["momentum"] * vi for wi, (vi,) in zip(w, state)], x, target, activation)
                else:
                    g = [rng.gumbel(size=wi.shape) for wi in w]
            total += logged
            if method.adds_gaussian:  # sd decays per epoch, as the script wrote it
                n = rng.normal(0, hp["eta"] / (1 + epoch) ** hp["gamma"])
                g = [gi + n for gi in g]
            updated = [method.rule(wi, gi, si, hp) for wi, gi, si in zip(w, g, state)]
            w, state = [wi for wi, _ in updated], [si for _, si in updated]
        costs.append(total)
    return costs
