"""Fused kernels: one loop over the weights for the parts whose NumPy update makes many passes.

A NumPy part (``transforms``) is the definition, the oracle and the path for
plugins; the kernel of a part evaluates the very same IEEE operations on each
element, in the same order, with the same constants, so it gives the same
numbers bit for bit (``tests/test_kernels.py`` compares every method in both
variants). What it saves is memory traffic: Adam's 13 passes over the
233,600 weights become one.

Kernels run only where that identity holds: float64, C-contiguous arrays, and
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


def flat(array: np.ndarray) -> np.ndarray:
    """The array as one dimension, a view (the arrays are C-contiguous)."""
    return array.reshape(-1)


_jit = njit(cache=True, error_model="numpy", nogil=True)


@_jit
def adam(u, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, correction1, correction2, eps):  # pragma: no cover - compiled
    """transforms.scale_by_adam: the moments, then u <- (m / c1) / (sqrt(v / c2) + eps)."""
    for i in range(u.size):
        g = u[i]
        m[i] = m[i] * beta1 + g * one_minus_beta1
        v[i] = v[i] * beta2 + g * g * one_minus_beta2
        u[i] = m[i] / correction1 / (math.sqrt(v[i] / correction2) + eps)


@_jit
def nadam(u, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, correction2, eps, gradient_weight, momentum_weight):  # pragma: no cover
    """transforms.scale_by_nadam: the moments, then u <- (u / d) gw + (m / d) mw with d = sqrt(v / c2) + eps."""
    for i in range(u.size):
        g = u[i]
        m[i] = m[i] * beta1 + g * one_minus_beta1
        v[i] = v[i] * beta2 + g * g * one_minus_beta2
        denominator = math.sqrt(v[i] / correction2) + eps
        u[i] = g / denominator * gradient_weight + m[i] / denominator * momentum_weight


@_jit
def nadam_2018(u, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, eps):  # pragma: no cover
    """transforms.scale_by_nadam_2018: the moments, then u <- (g (1 - b1) / (1 - b1) + m / (1 - b1) b1) / (sqrt(v / (1 - b2)) + eps)."""
    for i in range(u.size):
        g = u[i]
        m[i] = m[i] * beta1 + g * one_minus_beta1
        v[i] = v[i] * beta2 + g * g * one_minus_beta2
        numerator = g * one_minus_beta1 / one_minus_beta1 + m[i] / one_minus_beta1 * beta1
        u[i] = numerator / (math.sqrt(v[i] / one_minus_beta2) + eps)


@_jit
def root_of_squares(u, squares, decay, weight, eps, eps_inside_sqrt):  # pragma: no cover
    """transforms.scale_by_root_of_squares: s <- s decay + u^2 weight; u <- u / sqrt(s + eps) or u / (sqrt(s) + eps).

    The NumPy part skips multiplying by a weight or decay of 1; x * 1.0 is x exactly, so here it multiplies always.
    """
    for i in range(u.size):
        g = u[i]
        squares[i] = squares[i] * decay + g * g * weight
        if eps_inside_sqrt:
            u[i] = g / math.sqrt(squares[i] + eps)
        else:
            u[i] = g / (math.sqrt(squares[i]) + eps)


@_jit
def adadelta(u, squares, deltas, rho, one_minus_rho, eps):  # pragma: no cover
    """transforms.scale_by_adadelta: E[g^2], then u <- u / sqrt(E[g^2] + eps) * sqrt(E[dx^2] + eps), then E[dx^2]."""
    for i in range(u.size):
        g = u[i]
        squares[i] = squares[i] * rho + g * g * one_minus_rho
        step = g / math.sqrt(squares[i] + eps) * math.sqrt(deltas[i] + eps)
        deltas[i] = deltas[i] * rho + step * step * one_minus_rho
        u[i] = step
