"""The readable trainer's Rprop, Adafactor and Muon (see ``reportgen.training.reference``), written as
torch/optim/rprop.py, _adafactor.py and _muon.py write them, with fresh arrays and independently of
``reportgen.optimizers``. Rules as in ``reference``: ``rule(w, g, state, hp, noise) -> new weights``, for
the network's 2-D weights; they run in float64.
"""

from __future__ import annotations

import math

import numpy as np


def zeros_like(w):
    return [np.zeros_like(layer) for layer in w]


def rprop(w, g, state, hp, noise):
    eta_minus, eta_plus = hp["etas"]
    smallest, largest = hp["step_sizes"]
    previous = state.setdefault("prev", zeros_like(w))
    sizes = state.setdefault("step_size", [np.full_like(wi, hp["lr"]) for wi in w])
    signs = [np.sign(gi * pi) for gi, pi in zip(g, previous)]
    factors = [np.where(s > 0, eta_plus, np.where(s < 0, eta_minus, 1.0)) for s in signs]
    state["step_size"] = [np.clip(si * fi, smallest, largest) for si, fi in zip(sizes, factors)]
    state["prev"] = [np.where(fi == eta_minus, 0.0, gi) for gi, fi in zip(g, factors)]
    return [wi - np.sign(gi) * si for wi, gi, si in zip(w, state["prev"], state["step_size"])]


def rms(array):
    return np.linalg.norm(array) / math.sqrt(array.size)


def adafactor(w, g, state, hp, noise):
    eps1, eps2 = hp["eps"]
    lr, t = hp["lr"], noise.step + 1
    weight = t ** hp["beta2_decay"]  # torch's one_minus_beta2_t, the weight lerp_ gives the new statistics
    rho = min(lr, 1 / t**0.5)
    rows = state.setdefault("row_var", [np.zeros((wi.shape[0], 1)) for wi in w])
    columns = state.setdefault("col_var", [np.zeros((1, wi.shape[1])) for wi in w])
    state["row_var"] = [r + weight * ((gi * gi).mean(axis=1, keepdims=True) - r) for r, gi in zip(rows, g)]
    state["col_var"] = [c + weight * ((gi * gi).mean(axis=0, keepdims=True) - c) for c, gi in zip(columns, g)]
    new = []
    for wi, gi, r, c in zip(w, g, state["row_var"], state["col_var"]):
        alpha = max(eps2, rms(wi)) * rho
        estimate = r @ c / max(r.mean(), eps1)
        update = gi / np.sqrt(np.maximum(estimate, eps1 * eps1))
        update = update / max(1.0, rms(update) / hp["d"])
        new.append(wi * (1 - lr * hp["weight_decay"]) - alpha * update)
    return new


def bfloat16(x):
    """x rounded to float32, then to 8 significant bits, ties to even: torch's bfloat16 (normal numbers)."""
    mantissa, exponent = np.frexp(np.asarray(x, dtype=np.float32))
    return np.ldexp(np.rint(np.ldexp(mantissa.astype(np.float64), 8)), exponent - 8)


def float32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def newton_schulz(matrix, hp):
    """torch's _zeropower_via_newtonschulz in bfloat16: each op computes in float32 and rounds; addmm fuses
    beta C into alpha (A B), with float32 coefficients."""
    a, b, c = (float(np.float32(k)) for k in hp["ns_coefficients"])
    tall = matrix.shape[0] > matrix.shape[1]
    x = bfloat16(matrix.T if tall else matrix)
    x = bfloat16(x / bfloat16(max(bfloat16(np.linalg.norm(x)), hp["eps"])))
    for _ in range(hp["ns_steps"]):
        gram = bfloat16(x @ x.T)
        x = bfloat16(a * x + float32(bfloat16(b * gram + float32(c * float32(gram @ gram))) @ x))
    return x.T if tall else x


def muon(w, g, state, hp, noise):
    mu, lr = hp["momentum"], hp["lr"]
    buffers = state.setdefault("momentum_buffer", zeros_like(w))
    state["momentum_buffer"] = [bi + (1 - mu) * (gi - bi) for bi, gi in zip(buffers, g)]
    directions = [gi + mu * (bi - gi) for gi, bi in zip(g, state["momentum_buffer"])] if hp["nesterov"] else state["momentum_buffer"]
    new = []
    for wi, direction in zip(w, directions):
        rows, columns = wi.shape
        ratio = math.sqrt(max(1, rows / columns)) if hp["adjust_lr_fn"] == "original" else 0.2 * math.sqrt(max(rows, columns))
        new.append(wi * (1 - lr * hp["weight_decay"]) - lr * ratio * newton_schulz(direction, hp))
    return new


RULES = {"rprop": rprop, "adafactor": adafactor, "muon": muon}
