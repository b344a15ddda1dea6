"""Small parts that the twelve methods are chained from (see ``base.chain``).

Each factory returns a ``Transform`` whose ``update`` works in place on the
list ``updates``; the chain's output is the step subtracted from the weights.
Noise is drawn from the rng handed to ``init`` in the order the parts run and,
within a part, in the order of the parameter list.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from reportgen.optimizers import kernels
from reportgen.optimizers.base import Transform


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

    return Transform(init, update)


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

    return Transform(init, update)


def trace_lookahead(decay: float, part: int) -> Callable:
    """The look-ahead point w - decay v, v the velocity of the chain's ``part``-th part."""

    def lookahead(params, parts_state, out):
        for weight, v, point in zip(params, parts_state[part].velocity, out):
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

    def update(updates, state, params):
        if kernels.applies(*updates, *state.squares):
            for u, squares in zip(updates, state.squares):
                kernels.root_of_squares(kernels.flat(u), kernels.flat(squares), decay, weight, eps, eps_inside_sqrt)
            return updates, state
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

    return Transform(init, update)


class AdadeltaState(NamedTuple):
    squares: list[np.ndarray]  # E[g^2]
    deltas: list[np.ndarray]  # E[dx^2]
    scratch: list[np.ndarray]


def scale_by_adadelta(rho: float, eps: float) -> Transform:
    """Zeiler 2012: u <- sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) u, both averages decayed by rho."""

    def init(params, rng):
        return AdadeltaState(_zeros(params), _zeros(params), _zeros(params))

    def update(updates, state, params):
        if kernels.applies(*updates, *state.squares, *state.deltas):
            for u, squares, deltas in zip(updates, state.squares, state.deltas):
                kernels.adadelta(kernels.flat(u), kernels.flat(squares), kernels.flat(deltas), rho, 1.0 - rho, eps)
            return updates, state
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

    return Transform(init, update)


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


class MomentsState(NamedTuple):
    count: int  # steps already taken
    first: list[np.ndarray]  # m
    second: list[np.ndarray]  # v
    scratch: list[np.ndarray]
    largest_second: Sequence[np.ndarray] = ()  # AMSGrad's running max of v, empty otherwise


def _moments_init(params, rng):
    return MomentsState(0, _zeros(params), _zeros(params), _zeros(params))


def _update_moments(updates, state, beta1, beta2):
    """m <- beta1 m + (1 - beta1) u;  v <- beta2 v + (1 - beta2) u^2."""
    for u, m, v, scratch in zip(updates, state.first, state.second, state.scratch):
        _average(m, u, beta1, scratch)
        _average_square(v, u, beta2, scratch)
    return state._replace(count=state.count + 1)


def step_bias_correction(beta1: float, beta2: float) -> Callable[[int], tuple[float, float]]:
    """Kingma & Ba: divide m by 1 - beta1^t and v by 1 - beta2^t (t = 1 on the first step)."""
    return lambda t: (1.0 - beta1**t, 1.0 - beta2**t)


def constant_bias_correction(beta1: float, beta2: float) -> Callable[[int], tuple[float, float]]:
    """The 2018 script: divide by the constants 1 - beta1 and 1 - beta2 at every step."""
    return lambda t: (1.0 - beta1, 1.0 - beta2)


def _adaptive_denominator(v, correction: float, eps: float, out) -> None:
    """out <- sqrt(v / correction) + eps: Adam's and NAdam's per-weight scale, in place."""
    np.divide(v, correction, out=out)
    np.sqrt(out, out=out)
    np.add(out, eps, out=out)


def scale_by_adam(beta1: float, beta2: float, eps: float, correction: Callable[[int], tuple[float, float]], amsgrad: bool = False) -> Transform:
    """u <- m_hat / (sqrt(v_hat) + eps), m_hat = m / c1, v_hat = v / c2, (c1, c2) = correction(t).

    With ``amsgrad`` (Reddi et al., as torch's ``amsgrad=True``), v_hat is the running
    max of v divided by c2: a weight's denominator forgets no large gradient.
    """

    def init(params, rng):
        moments = _moments_init(params, rng)
        return moments._replace(largest_second=_zeros(params)) if amsgrad else moments

    def update(updates, state, params):
        if not amsgrad and kernels.applies(*updates, *state.first, *state.second):
            c1, c2 = correction(state.count + 1)
            for u, m, v in zip(updates, state.first, state.second):
                kernels.adam(kernels.flat(u), kernels.flat(m), kernels.flat(v), beta1, 1.0 - beta1, beta2, 1.0 - beta2, c1, c2, eps)
            return updates, state._replace(count=state.count + 1)
        state = _update_moments(updates, state, beta1, beta2)
        c1, c2 = correction(state.count)
        for v, largest in zip(state.second, state.largest_second):  # AMSGrad only: empty otherwise
            np.maximum(largest, v, out=largest)
        for u, m, v, scratch in zip(updates, state.first, state.largest_second or state.second, state.scratch):
            _adaptive_denominator(v, c2, eps, out=scratch)
            np.divide(m, c1, out=u)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(init, update)


class NadamState(NamedTuple):
    moments: MomentsState
    mu_product: float  # prod of mu_1 .. mu_t


def scale_by_nadam(beta1: float, beta2: float, eps: float, momentum_decay: float) -> Transform:
    """Dozat 2016 as torch.optim.NAdam, with the momentum schedule
    mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), psi = momentum_decay:

    u <- [(1 - mu_t) / (1 - prod_{i<=t} mu_i) g + mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m] / (sqrt(v / (1 - beta2^t)) + eps)
    """

    def init(params, rng):
        return NadamState(_moments_init(params, rng), 1.0)

    def update(updates, state, params):
        fused = kernels.applies(*updates, *state.moments.first, *state.moments.second)
        moments = state.moments._replace(count=state.moments.count + 1) if fused else _update_moments(updates, state.moments, beta1, beta2)
        t = moments.count
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state.mu_product * mu
        gradient_weight = (1.0 - mu) / (1.0 - mu_product)
        momentum_weight = mu_next / (1.0 - mu_product * mu_next)
        correction2 = 1.0 - beta2**t
        if fused:
            for u, m, v in zip(updates, moments.first, moments.second):
                kernels.nadam(
                    kernels.flat(u), kernels.flat(m), kernels.flat(v), beta1, 1.0 - beta1, beta2, 1.0 - beta2, correction2, eps, gradient_weight, momentum_weight
                )
            return updates, NadamState(moments, mu_product)
        for u, m, v, scratch in zip(updates, moments.first, moments.second, moments.scratch):
            _adaptive_denominator(v, correction2, eps, out=scratch)
            np.divide(u, scratch, out=u)
            np.multiply(u, gradient_weight, out=u)
            np.divide(m, scratch, out=scratch)
            np.multiply(scratch, momentum_weight, out=scratch)
            np.add(u, scratch, out=u)
        return updates, NadamState(moments, mu_product)

    return Transform(init, update)


def scale_by_nadam_2018(beta1: float, beta2: float, eps: float, constant: bool = True) -> Transform:
    """The 2018 script's NAdam: u <- (beta1 m_hat + (1 - beta1) g / c1) / (sqrt(v_hat) + eps),
    m_hat = m / c1, v_hat = v / c2, with the constant corrections c1 = 1 - beta1,
    c2 = 1 - beta2, or with ``constant`` off Kingma & Ba's 1 - beta^t.

    (1 - beta1) g / (1 - beta1) is computed as written: it differs from g in
    the last bit for about one element in seven.
    """
    correction = constant_bias_correction(beta1, beta2) if constant else step_bias_correction(beta1, beta2)

    def update(updates, state, params):
        if constant and kernels.applies(*updates, *state.first, *state.second):  # the kernel has the constants built in
            for u, m, v in zip(updates, state.first, state.second):
                kernels.nadam_2018(kernels.flat(u), kernels.flat(m), kernels.flat(v), beta1, 1.0 - beta1, beta2, 1.0 - beta2, eps)
            return updates, state._replace(count=state.count + 1)
        state = _update_moments(updates, state, beta1, beta2)
        c1, c2 = correction(state.count)
        for u, m, v, scratch in zip(updates, state.first, state.second, state.scratch):
            np.multiply(u, 1.0 - beta1, out=u)
            np.divide(u, c1, out=u)
            np.divide(m, c1, out=scratch)
            np.multiply(scratch, beta1, out=scratch)
            np.add(u, scratch, out=u)
            np.divide(v, c2, out=scratch)
            np.sqrt(scratch, out=scratch)
            np.add(scratch, eps, out=scratch)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(_moments_init, update)
