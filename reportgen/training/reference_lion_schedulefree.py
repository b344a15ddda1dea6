"""Lion and the schedule-free methods for the readable trainer (``reportgen.training.reference``), written as
their reference libraries write them, with fresh arrays, not as ``reportgen.optimizers`` builds them.

The schedule-free rules follow the ``schedulefree`` package in its train mode: the state keeps y, the point
the next gradient is taken at, and z, and updates y directly; the weights the trainer holds and evaluates
are x, recovered from them as the package's ``eval()`` does. ``reportgen.optimizers`` keeps x and derives y
the other way round, so the two accounts share no formula for the iterates.
"""

from __future__ import annotations

import numpy as np


def lion(w, g, state, hp, noise):
    """pytorch-optimizer's Lion: decay the weights, step by the sign of the interpolated momentum, then update it."""
    beta1, beta2 = hp["betas"]
    lr = hp["lr"]
    m = state.get("exp_avg", [np.zeros_like(wi) for wi in w])
    direction = [np.sign(beta1 * mi + (1 - beta1) * gi) for mi, gi in zip(m, g)]
    state["exp_avg"] = [beta2 * mi + (1 - beta2) * gi for mi, gi in zip(m, g)]
    return [wi * (1 - lr * hp["weight_decay"]) - lr * di for wi, di in zip(w, direction)]


def _schedule(hp, state, k):
    """The package's learning rate for step k + 1 (linear warm-up) and the weight c of the new z in the average x."""
    lr = hp["lr"] * ((k + 1) / hp["warmup_steps"] if k < hp["warmup_steps"] else 1.0)
    state["lr_max"] = max(lr, state.get("lr_max", -1.0))
    weight = (k + 1) ** hp["r"] * state["lr_max"] ** hp["weight_lr_power"]
    state["weight_sum"] = state.get("weight_sum", 0.0) + weight
    return lr, weight / state["weight_sum"] if state["weight_sum"] else 0.0


def _schedule_free_step(w, direction, state, hp, noise, beta):
    """y <- (1 - c) y + c z + lr (beta (1 - c) - 1) d, z <- z - lr d, d = direction + weight_decay y; returns x."""
    y, z = state.setdefault("y", [wi.copy() for wi in w]), state.setdefault("z", [wi.copy() for wi in w])
    lr, c = _schedule(hp, state, noise.step)
    d = [di + hp["weight_decay"] * yi for di, yi in zip(direction, y)]
    state["y"] = [(1 - c) * yi + c * zi + lr * (beta * (1 - c) - 1) * di for yi, zi, di in zip(y, z, d)]
    state["z"] = [zi - lr * di for zi, di in zip(z, d)]
    return [yi + (1 - 1 / beta) * (zi - yi) for yi, zi in zip(state["y"], state["z"])]


def schedule_free_point(w, state, hp):
    """y, where the package takes the gradient: the weights themselves before the first step."""
    return state.get("y", w)


def schedule_free_sgd(w, g, state, hp, noise):
    return _schedule_free_step(w, g, state, hp, noise, hp["momentum"])


def schedule_free_adamw(w, g, state, hp, noise):
    """The gradient divided by Adam's bias-corrected root mean square (no first moment), then the schedule-free step."""
    beta1, beta2 = hp["betas"]
    v = state.get("exp_avg_sq", [np.zeros_like(wi) for wi in w])
    state["exp_avg_sq"] = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g)]
    correction = 1 - beta2 ** (noise.step + 1)
    direction = [gi / (np.sqrt(vi / correction) + hp["eps"]) for gi, vi in zip(g, state["exp_avg_sq"])]
    return _schedule_free_step(w, direction, state, hp, noise, beta1)
