"""The parts built on Adam's two moments: Adam (and AMSGrad), NAdam, and the 2018 script's NAdam.

Like every part (see ``transforms``) they work in place; each has a fused
kernel (``kernels``) that gives the same bits.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from reportgen.optimizers import kernels
from reportgen.optimizers.base import Transform
from reportgen.optimizers.kernels import rows
from reportgen.optimizers.transforms import _average, _average_square, _zeros


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

    def fused(updates, state, outs, subtract, before, after, actives):
        c1, c2 = correction(state.count + 1)
        for u, active, out, m, v in zip(updates, actives, outs, state.first, state.second):
            kernels.adam(rows(u), active, rows(out), subtract, before, after, rows(m), rows(v), beta1, 1.0 - beta1, beta2, 1.0 - beta2, c1, c2, eps)
        return state._replace(count=state.count + 1)

    def update(updates, state, params):
        if not amsgrad and kernels.applies(*updates, *state.first, *state.second):
            return updates, fused(updates, state, updates, False, 1.0, 1.0, kernels.every_row(updates))
        state = _update_moments(updates, state, beta1, beta2)
        c1, c2 = correction(state.count)
        for v, largest in zip(state.second, state.largest_second):  # AMSGrad only: empty otherwise
            np.maximum(largest, v, out=largest)
        for u, m, v, scratch in zip(updates, state.first, state.largest_second or state.second, state.scratch):
            _adaptive_denominator(v, c2, eps, out=scratch)
            np.divide(m, c1, out=u)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(init, update, fused=None if amsgrad else fused)


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

    def weights(state, t):
        """prod mu_1..t, the weights of g and m, and v's correction at step t."""
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state.mu_product * mu
        return mu_product, (1.0 - mu) / (1.0 - mu_product), mu_next / (1.0 - mu_product * mu_next), 1.0 - beta2**t

    def fused(updates, state, outs, subtract, before, after, actives):
        moments = state.moments._replace(count=state.moments.count + 1)
        mu_product, gradient_weight, momentum_weight, correction2 = weights(state, moments.count)
        for u, active, out, m, v in zip(updates, actives, outs, moments.first, moments.second):
            kernels.nadam(
                rows(u), active, rows(out), subtract, before, after, rows(m), rows(v),
                beta1, 1.0 - beta1, beta2, 1.0 - beta2, correction2, eps, gradient_weight, momentum_weight,
            )  # fmt: skip
        return NadamState(moments, mu_product)

    def update(updates, state, params):
        if kernels.applies(*updates, *state.moments.first, *state.moments.second):
            return updates, fused(updates, state, updates, False, 1.0, 1.0, kernels.every_row(updates))
        moments = _update_moments(updates, state.moments, beta1, beta2)
        mu_product, gradient_weight, momentum_weight, correction2 = weights(state, moments.count)
        for u, m, v, scratch in zip(updates, moments.first, moments.second, moments.scratch):
            _adaptive_denominator(v, correction2, eps, out=scratch)
            np.divide(u, scratch, out=u)
            np.multiply(u, gradient_weight, out=u)
            np.divide(m, scratch, out=scratch)
            np.multiply(scratch, momentum_weight, out=scratch)
            np.add(u, scratch, out=u)
        return updates, NadamState(moments, mu_product)

    return Transform(init, update, fused=fused)


def scale_by_nadam_2018(beta1: float, beta2: float, eps: float, constant: bool = True) -> Transform:
    """The 2018 script's NAdam: u <- (beta1 m_hat + (1 - beta1) g / c1) / (sqrt(v_hat) + eps),
    m_hat = m / c1, v_hat = v / c2, with the constant corrections c1 = 1 - beta1,
    c2 = 1 - beta2, or with ``constant`` off Kingma & Ba's 1 - beta^t.

    (1 - beta1) g / (1 - beta1) is computed as written: it differs from g in
    the last bit for about one element in seven.
    """
    correction = constant_bias_correction(beta1, beta2) if constant else step_bias_correction(beta1, beta2)

    def fused(updates, state, outs, subtract, before, after, actives):  # the kernel has the constant corrections built in
        for u, active, out, m, v in zip(updates, actives, outs, state.first, state.second):
            kernels.nadam_2018(rows(u), active, rows(out), subtract, before, after, rows(m), rows(v), beta1, 1.0 - beta1, beta2, 1.0 - beta2, eps)
        return state._replace(count=state.count + 1)

    def update(updates, state, params):
        if constant and kernels.applies(*updates, *state.first, *state.second):
            return updates, fused(updates, state, updates, False, 1.0, 1.0, kernels.every_row(updates))
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

    return Transform(_moments_init, update, fused=fused if constant else None)
