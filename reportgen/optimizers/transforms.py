"""Small parts that the twelve methods are chained from (see ``base.chain``).

Each factory returns a ``Transform`` whose ``update`` works in place on the
list ``updates``; the chain's output is the step subtracted from the weights.
Noise is drawn from the rng handed to ``init`` in the order the parts run and,
within a part, in the order of the parameter list.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from reportgen.optimizers import kernels
from reportgen.optimizers.base import Transform
from reportgen.optimizers.kernels import rows


def _zeros(params, value=0.0):
    return [np.full_like(p, value) for p in params]


def scale(factor: float) -> Transform:
    """u <- factor u."""

    def init(params, rng):
        return None

    def update(updates, state, params):
        for u in updates:
            np.multiply(u, factor, out=u, casting="same_kind")
        return updates, state

    return Transform(init, update, factor=factor)


def add_decayed_weights(weight_decay: float) -> Transform:
    """u <- u + weight_decay w. First in a chain it is torch's L2 ``weight_decay`` (added to the
    gradient); after an adaptive scaling and before the learning rate it is decoupled decay (AdamW)."""

    def init(params, rng):
        return _zeros(params)

    def update(updates, state, params):
        for u, w, scratch in zip(updates, params, state):
            np.multiply(w, weight_decay, out=scratch)
            np.add(u, scratch, out=u)
        return updates, state

    return Transform(init, update)


def decay_weights(weight_decay: float) -> tuple[Transform, ...]:
    """``add_decayed_weights`` as parts to unpack into a chain, none for 0: torch skips the decay
    then, and so the numbers stay exactly those of the rule without it."""
    return (add_decayed_weights(weight_decay),) if weight_decay else ()


class TraceState(NamedTuple):
    velocity: list[np.ndarray]
    scratch: list[np.ndarray]


def trace(decay: float, nesterov: bool = False, gradient_weight: float = 1.0) -> Transform:
    """Momentum: v <- decay v + c u, then u <- v, or u <- c u + decay v with ``nesterov``, c = ``gradient_weight``.

    v starts at zero, so the first step gives v = u exactly, which is
    torch's "buffer = clone(grad)" on the first step. c = 1 - decay makes v
    an average instead of a sum (Muon's momentum).
    """

    def init(params, rng):
        return TraceState(_zeros(params), _zeros(params) if nesterov else [])

    def fused(updates, state, outs, subtract, before, after, actives):
        for u, active, out, v in zip(updates, actives, outs, state.velocity):
            kernels.trace(rows(u), active, rows(out), subtract, before, after, rows(v), decay, nesterov)
        return state

    def update(updates, state, params):
        for u, v in zip(updates, state.velocity):
            if gradient_weight != 1.0:  # multiplying by 1 is exact: skip the pass
                np.multiply(u, gradient_weight, out=u)
            np.multiply(v, decay, out=v)
            np.add(v, u, out=v)
        if nesterov:
            for u, v, scratch in zip(updates, state.velocity, state.scratch):
                np.multiply(v, decay, out=scratch)
                np.add(u, scratch, out=u)
        else:
            for u, v in zip(updates, state.velocity):
                np.copyto(u, v)
        return updates, state

    return Transform(init, update, fused=fused if gradient_weight == 1.0 else None)


def trace_lookahead(decay: float, part: int) -> Callable:
    """The look-ahead point w - decay v, v the velocity of the chain's ``part``-th part."""

    def lookahead(params, parts_state, out):
        velocity = parts_state[part].velocity
        for weight, v, point in zip(params, velocity, out):
            if kernels.applies(weight, v, point):
                kernels.lookahead(rows(weight), rows(v), decay, rows(point))
                continue
            np.multiply(v, decay, out=point)
            np.subtract(weight, point, out=point)
        return out

    return lookahead


class SquaresState(NamedTuple):
    squares: list[np.ndarray]
    scratch: list[np.ndarray]


def scale_by_root_of_squares(decay: float, weight: float, eps: float, eps_inside_sqrt: bool, initial: float = 0.0) -> Transform:
    """s <- decay s + weight u^2;  u <- u / sqrt(s + eps) or u / (sqrt(s) + eps).

    Adagrad is decay = weight = 1 (a running sum), RMSprop an average.
    """

    def init(params, rng):
        return SquaresState(_zeros(params, initial), _zeros(params))

    def fused(updates, state, outs, subtract, before, after, actives):
        # A zero gradient leaves a running sum (Adagrad) as it is, and its step is 0 / (a positive number):
        # the row's weights stay exactly as they are, so the kernel need not visit it.
        skip = decay == 1.0 and weight == 1.0 and eps > 0.0 and initial >= 0.0 and kernels.keeps_zero(before, after)
        for u, active, out, squares in zip(updates, actives, outs, state.squares):
            kernels.root_of_squares(rows(u), active, rows(out), subtract, before, after, rows(squares), decay, weight, eps, eps_inside_sqrt, skip)
        return state

    def update(updates, state, params):
        if kernels.applies(*updates, *state.squares):
            return updates, fused(updates, state, updates, False, 1.0, 1.0, kernels.every_row(updates))
        for u, squares, scratch in zip(updates, state.squares, state.scratch):
            np.multiply(u, u, out=scratch)
            if weight != 1.0:  # multiplying by 1 is exact: skip the pass
                np.multiply(scratch, weight, out=scratch)
            if decay != 1.0:
                np.multiply(squares, decay, out=squares)
            np.add(squares, scratch, out=squares)
            if eps_inside_sqrt:
                np.add(squares, eps, out=scratch)
                np.sqrt(scratch, out=scratch)
            else:
                np.sqrt(squares, out=scratch)
                np.add(scratch, eps, out=scratch)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(init, update, fused=fused)


class AdadeltaState(NamedTuple):
    squares: list[np.ndarray]  # E[g^2]
    deltas: list[np.ndarray]  # E[dx^2]
    scratch: list[np.ndarray]


def scale_by_adadelta(rho: float, eps: float) -> Transform:
    """Zeiler 2012: u <- sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) u, both averages decayed by rho."""

    def init(params, rng):
        return AdadeltaState(_zeros(params), _zeros(params), _zeros(params))

    def fused(updates, state, outs, subtract, before, after, actives):
        for u, active, out, squares, deltas in zip(updates, actives, outs, state.squares, state.deltas):
            kernels.adadelta(rows(u), active, rows(out), subtract, before, after, rows(squares), rows(deltas), rho, 1.0 - rho, eps)
        return state

    def update(updates, state, params):
        if kernels.applies(*updates, *state.squares, *state.deltas):
            return updates, fused(updates, state, updates, False, 1.0, 1.0, kernels.every_row(updates))
        for u, squares, deltas, scratch in zip(updates, state.squares, state.deltas, state.scratch):
            _average_square(squares, u, rho, scratch)
            np.add(squares, eps, out=scratch)
            np.sqrt(scratch, out=scratch)
            np.divide(u, scratch, out=u)
            np.add(deltas, eps, out=scratch)
            np.sqrt(scratch, out=scratch)
            np.multiply(u, scratch, out=u)
            _average_square(deltas, u, rho, scratch)
        return updates, state

    return Transform(init, update, fused=fused)


def _average_square(average, x, decay, scratch):
    """average <- decay average + (1 - decay) x^2, in place."""
    np.multiply(x, x, out=scratch)
    np.multiply(scratch, 1.0 - decay, out=scratch)
    np.multiply(average, decay, out=average)
    np.add(average, scratch, out=average)


def _average(average, x, decay, scratch):
    """average <- decay average + (1 - decay) x, in place."""
    np.multiply(x, 1.0 - decay, out=scratch)
    np.multiply(average, decay, out=average)
    np.add(average, scratch, out=average)
