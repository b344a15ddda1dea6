"""Fused kernels: a part's update, and the steps of its chain around it, in one loop over the weights.

A NumPy part (``transforms``) is the definition, the oracle and the path for
plugins; the kernel of a part evaluates the very same IEEE operations on each
element, in the same order, with the same constants, so it gives the same
numbers bit for bit (``tests/test_kernels.py`` compares every method in both
variants). What it saves is memory traffic and passes: Adam, its learning rate
and the subtraction from the weights were 14 passes over the 233,600 weights;
fused (``fusion``) they are one.

Every kernel has the same frame, on one parameter seen as rows x columns:

* ``g = before * u`` for the rows where ``active`` is set; on the other rows
  ``g = before * 0.0``: the caller promises the gradient is zero there and
  leaves whatever it likes in ``u`` (the engine writes only the rows of lit
  pixels, see ``reportgen.training.engine``);
* the part's own update of its state and of ``s``, its output;
* ``w <- w - after * s`` when ``subtract`` (the fused chain), else
  ``w <- after * s`` (the part alone: ``w`` is ``u``, ``after`` is 1, and
  x * 1.0 is x exactly).

A kernel given ``skip`` leaves the inactive rows alone: only where the
caller (``fusion``) has proved that a zero gradient changes neither the
weights nor the state, as in SGD and Adagrad.

Kernels run only where the identity holds: float64, C-contiguous arrays, and
while ``fused(True)`` is in force (the engine's default; ``--engine numpy``
turns them off). numba compiles each kernel once per machine: ``cache=True``
keeps the machine code in numba's on-disk cache (``NUMBA_CACHE_DIR``, else
beside this file or in the user's cache directory), so a build pays the
compilation only the first time. ``error_model="numpy"`` drops Python's
division-by-zero check, which would stop the loop from being vectorised;
division then follows IEEE, as NumPy's does. No fast-math: that would let the
compiler reorder or fuse operations and change the last bits.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import numpy as np
from numba import njit

_enabled = False


@contextmanager
def fused(enabled: bool) -> Iterator[None]:
    """Let the parts use their kernels (or not) inside this block."""
    global _enabled
    previous, _enabled = _enabled, enabled
    try:
        yield
    finally:
        _enabled = previous


def applies(*arrays: np.ndarray) -> bool:
    """Whether the kernels run on these arrays: enabled, float64 and C-contiguous (where they are exact)."""
    return _enabled and all(array.dtype == np.float64 and array.flags.c_contiguous for array in arrays)


def rows(array: np.ndarray) -> np.ndarray:
    """The array as rows x columns, a view (the arrays are C-contiguous): a vector is one row."""
    if array.ndim == 0:
        return array.reshape(1, 1)
    return array.reshape(1, -1) if array.ndim == 1 else array.reshape(len(array), -1)


def every_row(arrays) -> list[np.ndarray]:
    """The ``active`` masks of parameters whose updates are read on every row."""
    return [np.ones(len(rows(array)), dtype=np.bool_) for array in arrays]


def keeps_zero(before: float, after: float) -> bool:
    """Whether w - after (before 0) is w for every w, -0.0 included: the factors are finite and not negative."""
    return math.isfinite(before) and math.isfinite(after) and before >= 0.0 and after >= 0.0


compiled = njit(cache=True, error_model="numpy", nogil=True)  # every kernel's settings, above


@njit(inline="always")
def _store(w, r, c, s, after, subtract):  # pragma: no cover - compiled
    if subtract:
        w[r, c] = w[r, c] - s * after
    else:
        w[r, c] = s * after


@compiled
def descend(u, active, w, before, after, skip):  # pragma: no cover - compiled
    """No part of its own: w <- w - after (before u), as ``scale`` and the subtraction do one after the other."""
    for r in range(w.shape[0]):
        if skip and not active[r]:
            continue
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            w[r, c] = w[r, c] - g * after


@compiled
def shift(u, active, w, subtract, before, after, offset):  # pragma: no cover - compiled
    """noise.add_gaussian_noise_2018 with its one scalar per step: s = g + offset."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            _store(w, r, c, g + offset, after, subtract)


@compiled
def lookahead(w, velocity, decay, out):  # pragma: no cover - compiled
    """transforms.trace_lookahead: out <- w - velocity decay."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            out[r, c] = w[r, c] - velocity[r, c] * decay


@compiled
def trace(u, active, w, subtract, before, after, velocity, decay, nesterov):  # pragma: no cover
    """transforms.trace with gradient_weight 1: v <- v decay + g, then s = g + v decay (nesterov) or s = v."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            velocity[r, c] = velocity[r, c] * decay + g
            s = g + velocity[r, c] * decay if nesterov else velocity[r, c]
            _store(w, r, c, s, after, subtract)


@compiled
def root_of_squares(u, active, w, subtract, before, after, squares, decay, weight, eps, eps_inside_sqrt, skip):  # pragma: no cover
    """transforms.scale_by_root_of_squares: s <- s decay + g^2 weight; g / sqrt(s + eps) or g / (sqrt(s) + eps).

    The NumPy part skips multiplying by a weight or decay of 1; x * 1.0 is x exactly, so here it multiplies always.
    """
    for r in range(w.shape[0]):
        if skip and not active[r]:
            continue
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            squares[r, c] = squares[r, c] * decay + g * g * weight
            if eps_inside_sqrt:
                s = g / math.sqrt(squares[r, c] + eps)
            else:
                s = g / (math.sqrt(squares[r, c]) + eps)
            _store(w, r, c, s, after, subtract)


@compiled
def adadelta(u, active, w, subtract, before, after, squares, deltas, rho, one_minus_rho, eps):  # pragma: no cover
    """transforms.scale_by_adadelta: E[g^2], then s = g / sqrt(E[g^2] + eps) * sqrt(E[dx^2] + eps), then E[dx^2]."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            squares[r, c] = squares[r, c] * rho + g * g * one_minus_rho
            s = g / math.sqrt(squares[r, c] + eps) * math.sqrt(deltas[r, c] + eps)
            deltas[r, c] = deltas[r, c] * rho + s * s * one_minus_rho
            _store(w, r, c, s, after, subtract)


@compiled
def adam(u, active, w, subtract, before, after, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, correction1, correction2, eps):  # pragma: no cover
    """transforms.scale_by_adam: the moments, then s = (m / c1) / (sqrt(v / c2) + eps)."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            m[r, c] = m[r, c] * beta1 + g * one_minus_beta1
            v[r, c] = v[r, c] * beta2 + g * g * one_minus_beta2
            s = m[r, c] / correction1 / (math.sqrt(v[r, c] / correction2) + eps)
            _store(w, r, c, s, after, subtract)


@compiled
def nadam(u, active, w, subtract, before, after, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, correction2, eps, gradient_weight, momentum_weight):  # pragma: no cover
    """transforms.scale_by_nadam: the moments, then s = (g / d) gw + (m / d) mw with d = sqrt(v / c2) + eps."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            m[r, c] = m[r, c] * beta1 + g * one_minus_beta1
            v[r, c] = v[r, c] * beta2 + g * g * one_minus_beta2
            denominator = math.sqrt(v[r, c] / correction2) + eps
            s = g / denominator * gradient_weight + m[r, c] / denominator * momentum_weight
            _store(w, r, c, s, after, subtract)


@compiled
def nadam_2018(u, active, w, subtract, before, after, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, eps):  # pragma: no cover
    """transforms.scale_by_nadam_2018: the moments, then s = (g (1 - b1) / (1 - b1) + m / (1 - b1) b1) / (sqrt(v / (1 - b2)) + eps)."""
    for r in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = (u[r, c] if active[r] else 0.0) * before
            m[r, c] = m[r, c] * beta1 + g * one_minus_beta1
            v[r, c] = v[r, c] * beta2 + g * g * one_minus_beta2
            numerator = g * one_minus_beta1 / one_minus_beta1 + m[r, c] / one_minus_beta1 * beta1
            s = numerator / (math.sqrt(v[r, c] / one_minus_beta2) + eps)
            _store(w, r, c, s, after, subtract)
