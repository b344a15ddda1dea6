"""Where every random number of a run comes from.

The 2018 script seeded NumPy's legacy global generator with 678, shuffled the
index of the 0/1 pool with it, then drew w1, w2, w3 (``randn * 0.2``) from the
same stream. reportgen keeps that order for every seed s: a ``RandomState(s)``
first permutes an index as long as the pool, then draws the weights. For
s = 678 (and the pool of the real t10k zeros and ones) that is exactly the 2018
draw; for other seeds the permutation is discarded, because the data selection
has its own fixed seed, so the held-out images stay the same across seeds.

Noise:
* variant ``seed-2018`` continues that same legacy stream after the weights,
  as the 2018 script's ``np.random`` calls did. (The script ran the twelve
  methods one after another on one global stream; here every method restarts
  at the same point, so comparisons across methods are paired.)
* variant ``textbook`` uses a ``Generator`` (PCG64) from ``SeedSequence(s)``.

Every method of one seed gets identical weights and identical noise streams.

Other streams. The noise floor (``reportgen.training.controls``) trains a
method again from the same weights with other noise: stream k > 0 of seed s
is a PCG64 Generator from ``SeedSequence([s, OTHER_STREAMS, k])``, in both
variants.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from reportgen.model import network


def _weights_stream(seed: int, pool_size: int) -> np.random.RandomState:
    stream = np.random.RandomState(seed)
    stream.permutation(pool_size)
    return stream


def initial_weights(seed: int, pool_size: int, sizes: Sequence[int] = network.DEFAULT_SIZES) -> list[np.ndarray]:
    return network.init_params(_weights_stream(seed, pool_size), sizes)


OTHER_STREAMS = 2  # entropy word of the other noise streams; 1 is the training order's


def noise_stream(seed: int, variant: str, pool_size: int, sizes: Sequence[int] = network.DEFAULT_SIZES, stream: int = 0):
    """The random source an optimizer's noise is drawn from, fresh for each run; ``stream`` > 0 picks another one."""
    if variant == "seed-2018" and not stream:
        stream = _weights_stream(seed, pool_size)
        network.init_params(stream, sizes)  # advance past the weight draws
        return stream
    return generator_stream(seed, stream)


def generator_stream(seed: int, stream: int = 0) -> np.random.Generator:
    """The textbook variant's noise for ``seed`` (the method's noise on every problem of the suite), or its ``stream``-th other one."""
    if stream:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, OTHER_STREAMS, stream])))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def order_stream(seed: int) -> np.random.Generator:
    """Shuffles the training order each epoch when shuffling is on, and draws a suite problem's batches and
    gradient noise; independent of the method's noise."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 1])))
