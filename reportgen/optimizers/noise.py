"""The noise parts: Gumbel samples in place of a gradient (noise training) and added Gaussian noise.

Every number comes from the rng handed to ``init``, drawn in the order the
parts run and, within a part, in the order of the parameter list; the fills
are exact, cheaper equivalents of ``rng.gumbel`` and ``rng.normal``.

Streams. The Gumbel part draws from the rng itself. The textbook Gaussian
part draws from a stream of its own (``own_stream``), so methods j, k and l
of one seed see the same Gumbel samples and k - j is the Gaussian's effect
alone (common random numbers). The 2018 script drew its Gaussian from the one
global stream, between the Gumbel draws of consecutive steps, so from the
second step on its k sees other Gumbel samples than j; the seed-2018 part
keeps that unless ``own_stream`` is set (the report's control run).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from reportgen.optimizers import kernels, mt19937
from reportgen.optimizers.base import Transform
from reportgen.optimizers.kernels import rows


def uniform_source(rng) -> np.random.Generator:
    """A Generator that fills arrays in place with the same doubles ``rng.random`` /
    ``rng.random_sample`` would return, advancing ``rng``'s own stream.

    The legacy RandomState cannot fill an ``out=`` array; a Generator over the
    same bit generator draws the identical numbers (both call next_double).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.Generator(rng._bit_generator)


def own_stream(rng) -> np.random.Generator:
    """A generator for one noise source, derived from ``rng`` without drawing from it.

    A Generator spawns a child of its SeedSequence (numpy's way to make
    independent streams); a legacy RandomState, which has no SeedSequence, is
    hashed from its current state words into one. Either way the result
    depends only on how ``rng`` was seeded and where it stands, so every run
    of a seed gets the same stream.
    """
    if isinstance(rng, np.random.Generator):
        return np.random.Generator(np.random.PCG64(rng.bit_generator.seed_seq.spawn(1)[0]))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(rng.get_state()[1].tolist())))


def fill_gumbel(uniform: np.random.Generator, outs: list[np.ndarray]) -> list[np.ndarray]:
    """Standard Gumbel samples in place, array after array, as numpy's C code draws them:
    U = 1 - next_double; G = -log(-log(U)).

    numpy rejects U == 1 (next_double == 0, probability 2^-53 per draw) and
    draws again; here that draw gives G = +inf. np.log may differ from the C
    library's log in the last bit, so G can differ from ``rng.gumbel`` by
    about 1e-16 in absolute terms. Where the kernels run, an MT19937 stream's
    doubles come from ``mt19937``'s compiled loops: the same numbers.
    """
    if isinstance(uniform.bit_generator, np.random.MT19937) and kernels.applies(*outs):
        mt19937.fill_one_minus_uniform(uniform.bit_generator, outs)
    else:
        for out in outs:
            uniform.random(out=out)
            np.subtract(1.0, out, out=out)
    for out in outs:
        np.log(out, out=out)
        np.negative(out, out=out)
        np.log(out, out=out)
        np.negative(out, out=out)
    return outs


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
        fill_gumbel(state.uniform, state.noise)
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
    t = steps already taken (optax add_noise's convention); drawn from a stream of its own.

    sd * standard_normal() is what ``rng.normal(0, sd)`` computes (loc + scale z).
    """

    def init(params, rng):
        return _noise_init(params, own_stream(rng))

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
    noise: list[np.ndarray]  # per-element draws; empty for the 2018 scalar


def add_gaussian_noise_2018(
    eta: float,
    gamma: float,
    steps_per_epoch: int,
    own: bool = False,
    scalar: bool = True,
    eta_is_sd: bool = True,
    per_epoch: bool = True,
) -> Transform:
    """The 2018 script's version: ONE scalar n ~ N(0, (eta / (1 + epoch)^gamma)^2) per step,
    added to every element of every update; epoch = t // steps_per_epoch. Drawn from
    the rng itself, as in 2018, or with ``own`` from a stream of its own.

    Each quirk has its switch, so that it can be undone alone (the report's
    ablations): ``scalar`` (else a draw per element), ``eta_is_sd`` (else eta
    is the variance, as in the paper) and ``per_epoch`` (else the decay counts
    steps). With all three off and ``own`` on it is ``add_gaussian_noise``.
    """

    def init(params, rng):
        noise = [] if scalar else [np.zeros(p.shape) for p in params]
        return EpochNoiseState(0, own_stream(rng) if own else rng, noise)

    def standard_deviation(state):
        t = state.count // steps_per_epoch if per_epoch else state.count
        return eta / (1 + t) ** gamma if eta_is_sd else np.sqrt(eta / (1.0 + t) ** gamma)

    def fused(updates, state, outs, subtract, before, after, actives):  # the scalar only
        noise = float(state.rng.normal(0.0, standard_deviation(state)))
        for u, active, out in zip(updates, actives, outs):
            kernels.shift(rows(u), active, rows(out), subtract, before, after, noise)
        return state._replace(count=state.count + 1)

    def update(updates, state, params):
        sd = standard_deviation(state)
        if scalar:
            noise = float(state.rng.normal(0.0, sd))  # a Python float keeps float32 float32
            for u in updates:
                np.add(u, noise, out=u, casting="same_kind")
        else:
            for u, noise in zip(updates, state.noise):
                fill_normal(state.rng, noise)
                np.multiply(noise, sd, out=noise)
                np.add(u, noise, out=u, casting="same_kind")
        return updates, state._replace(count=state.count + 1)

    return Transform(init, update, fused=fused if scalar else None)
