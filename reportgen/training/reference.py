"""The readable trainer: one run done the plain way, the oracle of ``reportgen.training.engine``.

Everything here is written as the 2018 script wrote it: one batch at a time, straightforward NumPy expressions
that make fresh arrays, noise drawn with ``rng.gumbel`` and ``rng.normal``. Every update rule is spelled out
independently of ``reportgen.optimizers`` (the fast, in-place versions), the article's twelve below in both
variants, the later textbook methods (and Adam's moments, torch's weight decay) in the sibling modules
``reference_adam_family``, ``reference_scale_free`` and ``reference_lion_schedulefree``, so the engine is checked
against a second, separately written account of every method. Only the resolved hyperparameters come from the
run's ``MethodSpec``, and the Gaussian's own stream from
``reportgen.optimizers.noise.own_stream``, a seeding rule rather than an update.

A rule is ``rule(w, g, state, hp, noise) -> new weights``: ``w`` and ``g`` list
the three weight matrices and their gradients (``g`` None without gradient),
``state`` a dict the rule keeps, ``hp`` the hyperparameters, ``noise`` the run's
``Noise``. Noise is drawn layer by layer, w1 then w2 then w3.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from reportgen.model import network
from reportgen.optimizers.noise import own_stream
from reportgen.training import reference_adam_family
from reportgen.training import reference_lion_schedulefree as later
from reportgen.training.record import Recorder, cast_data, epoch_order
from reportgen.training.reference_adam_family import adam_step, moments, with_l2
from reportgen.training.reference_scale_free import RULES as SCALE_FREE_RULES, zeros_like
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import RunSpec


@dataclass
class Noise:  # the random stream of a run and where the run is in its schedule

    rng: Any  # numpy Generator (textbook) or RandomState (seed-2018)
    step: int = 0  # updates already taken

    def __post_init__(self):
        self.own = own_stream(self.rng)  # the Gaussian's stream (textbook; seed-2018 k with own_stream), set before any draw

    def gumbel(self, w):
        return [self.rng.gumbel(size=layer.shape) for layer in w]


# ---------------------------------------------------------------- seed-2018
# The 2018 constants and quirks, as /work/shared/seed/ORIGINAL-EXPERIMENT.md states them.


def sgd_2018(w, g, state, hp, noise):
    return [wi - hp["lr"] * gi for wi, gi in zip(w, g)]


def momentum_2018(w, g, state, hp, noise):
    v = state.setdefault("v", zeros_like(w))
    state["v"] = [hp["momentum"] * vi + hp["lr"] * gi for vi, gi in zip(v, g)]
    return [wi - vi for wi, vi in zip(w, state["v"])]


def nesterov_lookahead_2018(w, state, hp):
    v = state.get("v", zeros_like(w))
    return [wi - hp["momentum"] * vi for wi, vi in zip(w, v)]


def adagrad_2018(w, g, state, hp, noise):
    G = state.setdefault("G", zeros_like(w))
    state["G"] = [Gi + gi**2 for Gi, gi in zip(G, g)]
    return [wi - hp["lr"] * gi / np.sqrt(Gi + hp["eps"]) for wi, gi, Gi in zip(w, g, state["G"])]


def adadelta_2018(w, g, state, hp, noise):
    rho, eps = hp["rho"], hp["eps"]
    Eg = state.setdefault("Eg", zeros_like(w))
    Edx = state.setdefault("Edx", zeros_like(w))
    Eg = [rho * Ei + (1 - rho) * gi**2 for Ei, gi in zip(Eg, g)]
    d = [-np.sqrt(Di + eps) / np.sqrt(Ei + eps) * gi for Di, Ei, gi in zip(Edx, Eg, g)]
    state["Eg"] = Eg
    state["Edx"] = [rho * Di + (1 - rho) * di**2 for Di, di in zip(Edx, d)]
    return [wi - di for wi, di in zip(w, d)]  # the sign bug: d already carries the minus


def rmsprop_2018(w, g, state, hp, noise):
    alpha = hp["alpha"]
    v = state.setdefault("v", zeros_like(w))
    state["v"] = [alpha * vi + (1 - alpha) * gi**2 for vi, gi in zip(v, g)]
    return [wi - hp["lr"] * gi / np.sqrt(vi + hp["eps"]) for wi, gi, vi in zip(w, g, state["v"])]


def adam_moments_2018(w, g, state, hp):
    """m and v as usual; the "bias correction" divides by the constants 1 - beta."""
    beta1, beta2 = hp["betas"]
    m = state.setdefault("m", zeros_like(w))
    v = state.setdefault("v", zeros_like(w))
    state["m"] = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
    state["v"] = [beta2 * vi + (1 - beta2) * gi**2 for vi, gi in zip(v, g)]
    m_hat = [mi / (1 - beta1) for mi in state["m"]]
    v_hat = [vi / (1 - beta2) for vi in state["v"]]
    return m_hat, v_hat


def adam_2018(w, g, state, hp, noise):
    m_hat, v_hat = adam_moments_2018(w, g, state, hp)
    return [wi - hp["lr"] * mi / (np.sqrt(vi) + hp["eps"]) for wi, mi, vi in zip(w, m_hat, v_hat)]


def nadam_2018(w, g, state, hp, noise):
    beta1 = hp["betas"][0]
    m_hat, v_hat = adam_moments_2018(w, g, state, hp)
    return [
        wi - hp["lr"] * (beta1 * mi + (1 - beta1) * gi / (1 - beta1)) / (np.sqrt(vi) + hp["eps"])
        for wi, gi, mi, vi in zip(w, g, m_hat, v_hat)
    ]


def gaussian_scalar_2018(hp, noise):
    """One N(0, sd^2) scalar per step, sd = eta / (1 + epoch)^gamma, shared by every weight."""
    epoch = noise.step // hp["steps_per_epoch"]
    rng = noise.own if hp.get("own_stream") else noise.rng  # only k (noise_gaussian) has the setting
    return rng.normal(0, hp["eta"] / (1 + epoch) ** hp["gamma"])


def gaussian_noise_2018(w, g, state, hp, noise):
    n = gaussian_scalar_2018(hp, noise)
    return [wi - hp["lr"] * (gi + n) for wi, gi in zip(w, g)]


def noise_training(w, g, state, hp, noise):
    return [wi - hp["lr"] * Gi for wi, Gi in zip(w, noise.gumbel(w))]


def noise_gaussian_2018(w, g, state, hp, noise):
    G = noise.gumbel(w)
    n = gaussian_scalar_2018(hp, noise)
    return [wi - hp["lr"] * (Gi + n) for wi, Gi in zip(w, G)]


def adam_noise_2018(w, g, state, hp, noise):
    return adam_2018(w, noise.gumbel(w), state, hp, noise)


# ------------------------- textbook: the published algorithms, as torch/optim/*.py writes them


def momentum_buffer(g, state, hp):
    """torch's SGD momentum buffer: g on the first step, then momentum * b + g."""
    if "b" not in state:
        state["b"] = [gi.copy() for gi in g]
    else:
        state["b"] = [hp["momentum"] * bi + gi for bi, gi in zip(state["b"], g)]
    return state["b"]


def momentum(w, g, state, hp, noise):
    b = momentum_buffer(g, state, hp)
    return [wi - hp["lr"] * bi for wi, bi in zip(w, b)]


def nesterov(w, g, state, hp, noise):
    b = momentum_buffer(g, state, hp)
    return [wi - hp["lr"] * (gi + hp["momentum"] * bi) for wi, gi, bi in zip(w, g, b)]


def adagrad(w, g, state, hp, noise):
    s = state.setdefault("sum", [np.full_like(wi, hp["initial_accumulator_value"]) for wi in w])
    state["sum"] = [si + gi * gi for si, gi in zip(s, g)]
    return [wi - hp["lr"] * gi / (np.sqrt(si) + hp["eps"]) for wi, gi, si in zip(w, g, state["sum"])]


def adadelta(w, g, state, hp, noise):
    rho, eps = hp["rho"], hp["eps"]
    sq = state.setdefault("square_avg", zeros_like(w))
    acc = state.setdefault("acc_delta", zeros_like(w))
    sq = [rho * si + (1 - rho) * gi * gi for si, gi in zip(sq, g)]
    delta = [np.sqrt(ai + eps) / np.sqrt(si + eps) * gi for ai, si, gi in zip(acc, sq, g)]
    state["square_avg"] = sq
    state["acc_delta"] = [rho * ai + (1 - rho) * di * di for ai, di in zip(acc, delta)]
    return [wi - hp["lr"] * di for wi, di in zip(w, delta)]


def rmsprop(w, g, state, hp, noise):
    alpha = hp["alpha"]
    sq = state.setdefault("square_avg", zeros_like(w))
    state["square_avg"] = [alpha * si + (1 - alpha) * gi * gi for si, gi in zip(sq, g)]
    return [wi - hp["lr"] * gi / (np.sqrt(si) + hp["eps"]) for wi, gi, si in zip(w, g, state["square_avg"])]


def adam(w, g, state, hp, noise):
    m, v = moments(g, state, hp)
    return adam_step(w, m, v, hp, noise.step + 1)


def nadam(w, g, state, hp, noise):
    """Dozat's NAdam with torch's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi))."""
    beta1, beta2 = hp["betas"]
    psi, lr, t = hp["momentum_decay"], hp["lr"], noise.step + 1
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    state["mu_product"] = state.get("mu_product", 1.0) * mu
    mu_product_next = state["mu_product"] * mu_next
    m, v = moments(g, state, hp)
    denominators = [np.sqrt(vi / (1 - beta2**t)) + hp["eps"] for vi in v]
    return [
        wi - lr * (1 - mu) / (1 - state["mu_product"]) * gi / di - lr * mu_next / (1 - mu_product_next) * mi / di
        for wi, gi, mi, di in zip(w, g, m, denominators)
    ]


def gaussian_elements(w, hp, noise):
    """Neelakantan et al.: per element N(0, eta / (1 + t)^gamma), t = steps already taken."""
    sd = np.sqrt(hp["eta"] / (1 + noise.step) ** hp["gamma"])
    return [noise.own.normal(0, sd, size=wi.shape) for wi in w]


def gaussian_noise(w, g, state, hp, noise):
    n = gaussian_elements(w, hp, noise)
    return [wi - hp["lr"] * (gi + ni) for wi, gi, ni in zip(w, g, n)]


def noise_gaussian(w, g, state, hp, noise):
    G = noise.gumbel(w)
    n = gaussian_elements(w, hp, noise)
    return [wi - hp["lr"] * (Gi + ni) for wi, Gi, ni in zip(w, G, n)]


def adam_noise(w, g, state, hp, noise):
    return adam(w, noise.gumbel(w), state, hp, noise)


@dataclass(frozen=True)
class ReferenceRule:
    """One method as this trainer runs it: its rule and where its gradient is taken."""

    rule: Callable
    gradient: str = "current"  # "current", "lookahead" (with lookahead(w, state, hp)) or "none"
    lookahead: Callable | None = None


RULES = {
    "seed-2018": {
        "sgd": ReferenceRule(sgd_2018),
        "momentum": ReferenceRule(momentum_2018),
        "nesterov": ReferenceRule(momentum_2018, "lookahead", nesterov_lookahead_2018),
        "adagrad": ReferenceRule(adagrad_2018),
        "adadelta": ReferenceRule(adadelta_2018),
        "rmsprop": ReferenceRule(rmsprop_2018),
        "adam": ReferenceRule(adam_2018),
        "nadam": ReferenceRule(nadam_2018),
        "gaussian_noise": ReferenceRule(gaussian_noise_2018),
        "noise_training": ReferenceRule(noise_training, "none"),
        "noise_gaussian": ReferenceRule(noise_gaussian_2018, "none"),
        "adam_noise": ReferenceRule(adam_noise_2018, "none"),
    },
    "textbook": {  # a-h with torch's weight decay, added to the gradient
        "sgd": ReferenceRule(with_l2(sgd_2018)),  # the same plain step in both variants
        "momentum": ReferenceRule(with_l2(momentum)),
        "nesterov": ReferenceRule(with_l2(nesterov)),
        "adagrad": ReferenceRule(with_l2(adagrad)),
        "adadelta": ReferenceRule(with_l2(adadelta)),
        "rmsprop": ReferenceRule(with_l2(rmsprop)),
        "adam": ReferenceRule(with_l2(adam)),
        "nadam": ReferenceRule(with_l2(nadam)),
        "gaussian_noise": ReferenceRule(gaussian_noise),
        "noise_training": ReferenceRule(noise_training, "none"),
        "noise_gaussian": ReferenceRule(noise_gaussian, "none"),
        "adam_noise": ReferenceRule(adam_noise, "none"),
        **{name: ReferenceRule(rule) for name, rule in reference_adam_family.RULES.items()},
        "lion": ReferenceRule(later.lion),
        "schedule_free_sgd": ReferenceRule(later.schedule_free_sgd, "lookahead", later.schedule_free_point),
        "schedule_free_adamw": ReferenceRule(later.schedule_free_adamw, "lookahead", later.schedule_free_point),
        **{name: ReferenceRule(rule) for name, rule in SCALE_FREE_RULES.items()},
    },
}


def batch_cost(w, X, y, activation):
    return float(np.sum(network.cost(network.forward(w, X, activation).a3, y)))


def train(spec: RunSpec, split, params, noise_rng, order_rng, progress=None) -> RunMetrics:
    """Train one run the plain way (the contract: ``reportgen.training.engine.train``). float32 casts weights and data,
    but ``network.loss_and_grads`` makes the targets float64, so steps run in float64: float32 is the engine's mode alone."""
    network.check_activation(spec.activation)
    method = RULES[spec.method.variant][spec.method.name]
    hp, activation, dtype = spec.method.hyperparams, spec.activation, np.dtype(spec.dtype)
    w, data = [np.array(p, dtype=dtype) for p in params], cast_data(split, dtype)
    X_train, y_train = data[:2]
    n, B = len(X_train), spec.batch_size
    state: dict = {}
    noise = Noise(noise_rng)
    recorder = Recorder(spec, data)
    with np.errstate(all="ignore"):
        for epoch in range(spec.epochs):
            started = time.perf_counter()
            order = epoch_order(spec, n, order_rng)
            logged = 0.0
            for start in range(0, n, B):
                X, y = X_train[order[start : start + B]], y_train[order[start : start + B]]
                if method.gradient == "current":
                    cost, g = network.loss_and_grads(w, X, y, activation)
                elif method.gradient == "lookahead":
                    cost = batch_cost(w, X, y, activation)
                    _, g = network.loss_and_grads(method.lookahead(w, state, hp), X, y, activation)
                else:
                    cost, g = batch_cost(w, X, y, activation), None
                logged += cost
                new_w = method.rule(w, g, state, hp, noise)
                noise.step += 1
                if start + B >= n:  # the epoch's last step, the one whose norms are recorded
                    grad_norm = [np.linalg.norm(gi) for gi in g] if g is not None else [0.0, 0.0, 0.0]
                    update_norm = [np.linalg.norm(new - old) for new, old in zip(new_w, w)]
                w = new_w
            if recorder.end_epoch(epoch, w, logged, grad_norm, update_norm, time.perf_counter() - started):
                break
            if progress is not None:
                progress(epoch + 1)
    return recorder.metrics
