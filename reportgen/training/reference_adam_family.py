"""The plain account of torch's weight decay and of Adam's successors (AdamW, Adamax, AMSGrad, RAdam),
for the readable trainer ``reportgen.training.reference``: the same rule signature
``rule(w, g, state, hp, noise) -> new weights``, fresh arrays, written from torch/optim/*.py and
independently of ``reportgen.optimizers``.
"""

from __future__ import annotations

import numpy as np


def with_l2(rule):
    """torch's ``weight_decay`` (not decoupled): the gradient becomes g + weight_decay w before ``rule`` sees it."""

    def decayed(w, g, state, hp, noise):
        decay = hp.get("weight_decay", 0.0)
        if decay:
            g = [gi + decay * wi for gi, wi in zip(g, w)]
        return rule(w, g, state, hp, noise)

    return decayed


def shrunk(w, hp):
    """Decoupled weight decay: w (1 - lr weight_decay), before the step, as torch's AdamW."""
    return [wi * (1 - hp["lr"] * hp["weight_decay"]) for wi in w]


def moments(g, state, hp):
    beta1, beta2 = hp["betas"]
    m = state.setdefault("m", [np.zeros_like(gi) for gi in g])
    v = state.setdefault("v", [np.zeros_like(gi) for gi in g])
    state["m"] = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
    state["v"] = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g)]
    return state["m"], state["v"]


def adam_step(w, m, v, hp, t):
    beta1, beta2 = hp["betas"]
    step_size = hp["lr"] / (1 - beta1**t)
    return [wi - step_size * mi / (np.sqrt(vi) / np.sqrt(1 - beta2**t) + hp["eps"]) for wi, mi, vi in zip(w, m, v)]


def adamw(w, g, state, hp, noise):
    m, v = moments(g, state, hp)
    return adam_step(shrunk(w, hp), m, v, hp, noise.step + 1)


def amsgrad(w, g, state, hp, noise):
    m, v = moments(g, state, hp)
    state["v_max"] = [np.maximum(peak, vi) for peak, vi in zip(state.get("v_max", v), v)]
    return adam_step(w, m, state["v_max"], hp, noise.step + 1)


def adamax(w, g, state, hp, noise):
    beta1, beta2 = hp["betas"]
    m = state.setdefault("m", [np.zeros_like(gi) for gi in g])
    norm = state.setdefault("norm", [np.zeros_like(gi) for gi in g])
    state["m"] = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
    state["norm"] = [np.maximum(beta2 * ni, np.abs(gi) + hp["eps"]) for ni, gi in zip(norm, g)]
    step_size = hp["lr"] / (1 - beta1 ** (noise.step + 1))
    return [wi - step_size * mi / ni for wi, mi, ni in zip(w, state["m"], state["norm"])]


def radam(w, g, state, hp, noise):
    beta1, beta2 = hp["betas"]
    t = noise.step + 1
    m, v = moments(g, state, hp)
    m_hat = [mi / (1 - beta1**t) for mi in m]
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho <= 5:  # the adaptive rate's variance is not yet tractable: momentum alone
        return [wi - hp["lr"] * mi for wi, mi in zip(w, m_hat)]
    rectifier = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    adaptive = [np.sqrt(1 - beta2**t) / (np.sqrt(vi) + hp["eps"]) for vi in v]
    return [wi - hp["lr"] * mi * ai * rectifier for wi, mi, ai in zip(w, m_hat, adaptive)]


def radam_with_decay(w, g, state, hp, noise):
    """RAdam's weight decay: added to the gradient, or with ``decoupled_weight_decay`` applied to the weights."""
    if hp["decoupled_weight_decay"]:
        return radam(shrunk(w, hp), g, state, hp, noise)
    return with_l2(radam)(w, g, state, hp, noise)


RULES = {"adamw": adamw, "adamax": with_l2(adamax), "amsgrad": with_l2(amsgrad), "radam": radam_with_decay}
