"""Parts of the methods whose step length does not follow the gradient's size (``scale_free``).

Rprop keeps only the gradient's sign and learns a step size per weight;
Adafactor divides by a factored root mean square, clips the result and makes
the step relative to the weights' own size; Muon orthogonalises its momentum,
so every direction moves by about the same amount. Each part works in place
on ``updates`` as those of ``transforms`` do.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from reportgen.optimizers.base import Transform
from reportgen.optimizers.transforms import _zeros


class SignAgreementState(NamedTuple):
    previous: list[np.ndarray]  # last step's gradient, zero where its sign had flipped
    step_sizes: list[np.ndarray]
    agreement: list[np.ndarray]  # scratch: g times the previous gradient
    grew: list[np.ndarray]  # scratch masks: where that product is > 0 and < 0
    flipped: list[np.ndarray]


def scale_by_sign_agreement(initial: float, etas: tuple[float, float], step_sizes: tuple[float, float]) -> Transform:
    """Rprop (Riedmiller & Braun 1993, as torch.optim.Rprop): per-weight step sizes s, starting at ``initial``.

    Where g agrees in sign with the previous gradient, s <- min(eta_plus s, s_max);
    where it flipped, s <- max(eta_minus s, s_min) and g counts as 0 (no step,
    and no flip detected next time); then u <- sign(g) s.
    """
    eta_minus, eta_plus = etas
    smallest, largest = step_sizes

    def init(params, rng):
        masks = [np.zeros(p.shape, dtype=bool) for p in params]
        return SignAgreementState(_zeros(params), _zeros(params, initial), _zeros(params), masks, [m.copy() for m in masks])

    def update(updates, state, params):
        for u, previous, size, agreement, grew, flipped in zip(updates, *state):
            np.multiply(u, previous, out=agreement)
            np.greater(agreement, 0.0, out=grew)
            np.less(agreement, 0.0, out=flipped)
            np.multiply(size, eta_plus, out=size, where=grew)
            np.multiply(size, eta_minus, out=size, where=flipped)
            np.clip(size, smallest, largest, out=size)
            np.copyto(u, 0.0, where=flipped)
            np.copyto(previous, u)
            np.sign(u, out=u)
            np.multiply(u, size, out=u)
        return updates, state

    return Transform(init, update)


class FactoredState(NamedTuple):
    count: int  # steps already taken
    rows: list[np.ndarray | None]  # matrices: mean of g^2 over the last axis, averaged over steps
    columns: list[np.ndarray | None]  # matrices: mean of g^2 over the next-to-last axis
    squares: list[np.ndarray | None]  # vectors: g^2 averaged over steps


def _lerp(average, target, weight):
    """average <- average + weight (target - average), in place: torch's lerp_."""
    target -= average
    target *= weight
    average += target


def scale_by_factored_rms(beta2_decay: float, eps1: float) -> Transform:
    """Adafactor's second moment (Shazeer & Stern 2018, as torch.optim.Adafactor): u <- g / max(sqrt(V), eps1).

    The averaging weight is t^beta2_decay (1 at t = 1). A matrix (or a stack
    of them: the last two axes) keeps only the row means R and column means C
    of g^2 and estimates V = R C / max(mean(R), eps1); a vector keeps V itself.
    """

    def init(params, rng):
        factored = [p.ndim > 1 for p in params]
        rows = [np.zeros(p.shape[:-1] + (1,), p.dtype) if f else None for p, f in zip(params, factored)]
        columns = [np.zeros(p.shape[:-2] + (1,) + p.shape[-1:], p.dtype) if f else None for p, f in zip(params, factored)]
        squares = [None if f else np.zeros_like(p) for p, f in zip(params, factored)]
        return FactoredState(0, rows, columns, squares)

    def update(updates, state, params):
        count = state.count + 1
        weight = count**beta2_decay
        for u, rows, columns, squares in zip(updates, state.rows, state.columns, state.squares):
            if squares is None:
                _lerp(rows, np.square(u).mean(axis=-1, keepdims=True), weight)
                _lerp(columns, np.square(u).mean(axis=-2, keepdims=True), weight)
                estimate = rows @ columns
                estimate /= np.maximum(rows.mean(axis=-2, keepdims=True), eps1)
            else:
                _lerp(squares, np.square(u), weight)
                estimate = squares.copy()
            np.maximum(estimate, eps1 * eps1, out=estimate)  # eps1 squared: the root brings it back to eps1
            np.sqrt(estimate, out=estimate)
            np.divide(u, estimate, out=u)
        return updates, state._replace(count=count)

    return Transform(init, update)


def _rms(array) -> float:
    return float(np.linalg.norm(array.ravel())) / math.sqrt(array.size)


def clip_by_rms(threshold: float) -> Transform:
    """u <- u / max(1, RMS(u) / threshold), each tensor on its own: Adafactor's update clipping."""

    def init(params, rng):
        return None

    def update(updates, state, params):
        for u in updates:
            u /= max(1.0, _rms(u) / threshold)
        return updates, state

    return Transform(init, update)


def scale_by_relative_step(lr: float, eps2: float) -> Transform:
    """u <- max(eps2, RMS(w)) min(lr, 1 / sqrt(t)) u: Adafactor's step, relative to each weight tensor's size."""

    def init(params, rng):
        return 0

    def update(updates, count, params):
        count += 1
        relative = min(lr, 1 / count**0.5)
        for u, weight in zip(updates, params):
            u *= max(eps2, _rms(weight)) * relative
        return updates, count

    return Transform(init, update)


def _single(values) -> np.ndarray:
    """values rounded to float32, held in float64."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def _bfloat16(values) -> np.ndarray:
    """The bfloat16 nearest to float32(values), ties to even, held in float64: how torch stores a bfloat16
    result it computed in float32 (and converts float64, through float32).

    bfloat16 is float32 without its low 16 bits: add half their range, plus
    one when the last kept bit is odd, then clear them.
    """
    single = np.array(values, dtype=np.float32)
    bits = single.view(np.uint32)
    bits += 0x7FFF + ((bits >> 16) & 1)
    bits &= np.uint32(0xFFFF0000)
    return single.astype(np.float64)


def _newton_schulz(matrix: np.ndarray, coefficients, steps: int, eps: float) -> np.ndarray:
    """torch's _zeropower_via_newtonschulz on its CPU: X <- a X + (b A + c A^2) X, A = X X^T, on the wide
    orientation of ``matrix`` scaled to Frobenius norm 1, in bfloat16.

    Every bfloat16 value is exact in float64, so a product of two is exact and
    a short sum of products nearly so; each operation rounds its result as
    torch's kernel does: to float32, then to bfloat16. torch's addmm adds
    beta C to alpha (A B) in one fused multiply-add, with a, b, c in float32
    (its oneDNN and its own CPU kernel alike). Where torch's float32 sum of
    six or more products rounds, its order can differ from ours: then one
    element may land on the other side of a bfloat16 rounding (3 of 14,000
    random calls on shapes up to 16 x 8; none in the parity vectors).
    """
    a, b, c = (float(np.float32(k)) for k in coefficients)
    tall = matrix.shape[0] > matrix.shape[1]
    x = _bfloat16(matrix.T if tall else matrix)
    norm = _bfloat16(max(_bfloat16(np.linalg.norm(x)), eps))
    x = _bfloat16(x / norm)
    for _ in range(steps):
        gram = _bfloat16(x @ x.T)
        polynomial = _bfloat16(b * gram + _single(c * _single(gram @ gram)))
        x = _bfloat16(a * x + _single(polynomial @ x))
    return x.T if tall else x


def orthogonalise(coefficients: tuple[float, float, float], steps: int, eps: float) -> Transform:
    """Muon's u <- NS(u): ``steps`` Newton-Schulz iterations that push every singular value of u towards 1
    (Jordan et al. 2024, as torch.optim.Muon). Only for 2-D weights: a ValueError names any other shape."""

    def init(params, rng):
        for weight in params:
            if weight.ndim != 2:
                raise ValueError(f"muon orthogonalises 2-D weight matrices only; got a weight of shape {weight.shape}")
        return None

    def update(updates, state, params):
        for u in updates:
            u[...] = _newton_schulz(u, coefficients, steps, eps)
        return updates, state

    return Transform(init, update)


# torch's adjust_lr_fn: the learning rate's factor for an A x B matrix
LEARNING_RATE_RATIOS = {
    "original": lambda rows, columns: math.sqrt(max(1, rows / columns)),  # Jordan et al.
    "match_rms_adamw": lambda rows, columns: 0.2 * math.sqrt(max(rows, columns)),  # Liu et al. 2025
}


def scale_by_shape(lr: float, adjust_lr_fn: str) -> Transform:
    """u <- lr r(A, B) u for each A x B matrix, r = LEARNING_RATE_RATIOS[adjust_lr_fn]."""
    ratio = LEARNING_RATE_RATIOS[adjust_lr_fn]

    def init(params, rng):
        return None

    def update(updates, state, params):
        for u in updates:
            u *= lr * ratio(*u.shape)
        return updates, state

    return Transform(init, update)
