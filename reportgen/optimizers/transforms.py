"""Small parts that the twelve methods are chained from (see ``base.chain``).

Each factory returns a ``Transform`` whose ``update`` works in place on the
list ``updates``; the chain's output is the step subtracted from the weights.
Noise is drawn from the rng handed to ``init`` in the order the parts run and,
within a part, in the order of the parameter list.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

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


class TraceState(NamedTuple):
    velocity: list[np.ndarray]
    scratch: list[np.ndarray]


def trace(decay: float, nesterov: bool = False) -> Transform:
    """Momentum: v <- decay v + u, then u <- v, or u <- u + decay v with ``nesterov``.

    v starts at zero, so the first step gives v = u exactly, which is
    torch's "buffer = clone(grad)" on the first step.
    """

    def init(params, rng):
        return TraceState(_zeros(params), _zeros(params) if nesterov else [])

    def update(updates, state, params):
        for u, v in zip(updates, state.velocity):
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


def scale_by_adam(beta1: float, beta2: float, eps: float, correction: Callable[[int], tuple[float, float]]) -> Transform:
    """u <- m_hat / (sqrt(v_hat) + eps), m_hat = m / c1, v_hat = v / c2, (c1, c2) = correction(t)."""

    def update(updates, state, params):
        state = _update_moments(updates, state, beta1, beta2)
        c1, c2 = correction(state.count)
        for u, m, v, scratch in zip(updates, state.first, state.second, state.scratch):
            _adaptive_denominator(v, c2, eps, out=scratch)
            np.divide(m, c1, out=u)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(_moments_init, update)


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
        moments = _update_moments(updates, state.moments, beta1, beta2)
        t = moments.count
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state.mu_product * mu
        gradient_weight = (1.0 - mu) / (1.0 - mu_product)
        momentum_weight = mu_next / (1.0 - mu_product * mu_next)
        correction2 = 1.0 - beta2**t
        for u, m, v, scratch in zip(updates, moments.first, moments.second, moments.scratch):
            _adaptive_denominator(v, correction2, eps, out=scratch)
            np.divide(u, scratch, out=u)
            np.multiply(u, gradient_weight, out=u)
            np.divide(m, scratch, out=scratch)
            np.multiply(scratch, momentum_weight, out=scratch)
            np.add(u, scratch, out=u)
        return updates, NadamState(moments, mu_product)

    return Transform(init, update)


def scale_by_nadam_2018(beta1: float, beta2: float, eps: float) -> Transform:
    """The 2018 script's NAdam: u <- (beta1 m_hat + (1 - beta1) g / (1 - beta1)) / (sqrt(v_hat) + eps),
    with the constant corrections m_hat = m / (1 - beta1), v_hat = v / (1 - beta2).

    (1 - beta1) g / (1 - beta1) is computed as written: it differs from g in
    the last bit for about one element in seven.
    """

    def update(updates, state, params):
        state = _update_moments(updates, state, beta1, beta2)
        for u, m, v, scratch in zip(updates, state.first, state.second, state.scratch):
            np.multiply(u, 1.0 - beta1, out=u)
            np.divide(u, 1.0 - beta1, out=u)
            np.divide(m, 1.0 - beta1, out=scratch)
            np.multiply(scratch, beta1, out=scratch)
            np.add(u, scratch, out=u)
            np.divide(v, 1.0 - beta2, out=scratch)
            np.sqrt(scratch, out=scratch)
            np.add(scratch, eps, out=scratch)
            np.divide(u, scratch, out=u)
        return updates, state

    return Transform(_moments_init, update)


# ---- noise -------------------------------------------------------------------------------


def uniform_source(rng) -> np.random.Generator:
    """A Generator that fills arrays in place with the same doubles ``rng.random`` /
    ``rng.random_sample`` would return, advancing ``rng``'s own stream.

    The legacy RandomState cannot fill an ``out=`` array; a Generator over the
    same bit generator draws the identical numbers (both call next_double).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.Generator(rng._bit_generator)


def fill_gumbel(uniform: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """Standard Gumbel samples in place, as numpy's C code draws them:
    U = 1 - next_double; G = -log(-log(U)).

    numpy rejects U == 1 (next_double == 0, probability 2^-53 per draw) and
    draws again; here that draw gives G = +inf. np.log may differ from the C
    library's log in the last bit, so G can differ from ``rng.gumbel`` by
    about 1e-16 in absolute terms.
    """
    uniform.random(out=out)
    np.subtract(1.0, out, out=out)
    np.log(out, out=out)
    np.negative(out, out=out)
    np.log(out, out=out)
    np.negative(out, out=out)
    return out


class NoiseState(NamedTuple):
    count: int  # steps already taken
    rng: object
    uniform: np.random.Generator | None
    noise: list[np.ndarray]  # float64 draws
    cast: list[np.ndarray]  # the draws in the parameters' dtype (same arrays when float64)


def _noise_init(params, rng, uniform=False):
    noise = [np.zeros(p.shape) for p in params]
    cast = [buffer if p.dtype == buffer.dtype else np.zeros_like(p) for p, buffer in zip(params, noise)]
    return NoiseState(0, rng, uniform_source(rng) if uniform else None, noise, cast)


def _cast(state):
    for noise, cast in zip(state.noise, state.cast):
        if cast is not noise:
            np.copyto(cast, noise, casting="same_kind")
    return state.cast


def gumbel_noise() -> Transform:
    """Noise training (Seo 2018): the updates ARE a fresh standard Gumbel sample per element.

    It takes the place of the gradient, so it must come first (updates=None).
    """

    def init(params, rng):
        return _noise_init(params, rng, uniform=True)

    def update(updates, state, params):
        for noise in state.noise:
            fill_gumbel(state.uniform, noise)
        return _cast(state), state._replace(count=state.count + 1)

    return Transform(init, update)


def fill_normal(rng, out: np.ndarray) -> np.ndarray:
    """Standard normal samples in place; the same numbers as ``rng.standard_normal(out.shape)``."""
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal(out=out)
    out[...] = rng.standard_normal(out.shape)
    return out


def add_gaussian_noise(eta: float, gamma: float) -> Transform:
    """Neelakantan et al. 2015: u <- u + n, n ~ N(0, eta / (1 + t)^gamma) per element,
    t = steps already taken (optax add_noise's convention).

    sd * standard_normal() is what ``rng.normal(0, sd)`` computes (loc + scale z).
    """

    def init(params, rng):
        return _noise_init(params, rng)

    def update(updates, state, params):
        sd = np.sqrt(eta / (1.0 + state.count) ** gamma)
        for noise in state.noise:
            fill_normal(state.rng, noise)
            np.multiply(noise, sd, out=noise)
        for u, noise in zip(updates, _cast(state)):
            np.add(u, noise, out=u)
        return updates, state._replace(count=state.count + 1)

    return Transform(init, update)


class EpochNoiseState(NamedTuple):
    count: int  # steps already taken
    rng: object


def add_epoch_gaussian_noise_2018(sd: float, gamma: float, steps_per_epoch: int) -> Transform:
    """The 2018 script's version: ONE scalar n ~ N(0, (sd / (1 + epoch)^gamma)^2) per step,
    added to every element of every update; epoch = t // steps_per_epoch."""

    def init(params, rng):
        return EpochNoiseState(0, rng)

    def update(updates, state, params):
        epoch = state.count // steps_per_epoch
        noise = float(state.rng.normal(0.0, sd / (1 + epoch) ** gamma))  # a Python float keeps float32 float32
        for u in updates:
            np.add(u, noise, out=u, casting="same_kind")
        return updates, state._replace(count=state.count + 1)

    return Transform(init, update)
