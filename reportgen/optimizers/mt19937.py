"""numpy's MT19937 doubles as compiled loops: the same numbers, twice as fast.

The seed-2018 variant draws its Gumbel samples from the legacy MT19937
stream, as the 2018 script did, and numpy's generator (one 32-bit word at a
time, its state regenerated every 624 words) was the noise methods' largest
cost. This is the same algorithm (numpy's ``mt19937_gen``, ``mt19937_next``
and ``mt19937_next_double``) rearranged so the compiler can vectorise it: the
state is regenerated in two loops without the index wrap-around, and a whole
block of words is tempered at once. Integer arithmetic and exact scalings by
powers of two: the doubles are numpy's bit for bit, and the generator's state
is left where numpy's would be (tests/test_optimizers.py).
"""

from __future__ import annotations

import ctypes

import numpy as np
from numba import uint32

from reportgen.optimizers.kernels import compiled

N, M = 624, 397  # the state's length in words, and the offset the recurrence reaches back


@compiled
def _regenerate(key):  # pragma: no cover - compiled
    upper, lower, matrix, one = uint32(0x80000000), uint32(0x7FFFFFFF), uint32(0x9908B0DF), uint32(1)
    for i in range(N - M):
        y = uint32(key[i] & upper) | uint32(key[i + 1] & lower)
        key[i] = key[i + M] ^ uint32(y >> one) ^ uint32(uint32(-(y & one)) & matrix)
    for i in range(N - M, N - 1):
        y = uint32(key[i] & upper) | uint32(key[i + 1] & lower)
        key[i] = key[i + M - N] ^ uint32(y >> one) ^ uint32(uint32(-(y & one)) & matrix)
    y = uint32(key[N - 1] & upper) | uint32(key[0] & lower)
    key[N - 1] = key[M - 1] ^ uint32(y >> one) ^ uint32(uint32(-(y & one)) & matrix)


@compiled
def _words(key, position, out):  # pragma: no cover - compiled
    """out <- the stream's next out.size tempered 32-bit words; returns the new position in the state."""
    done = 0
    while done < out.size:
        if position == N:
            _regenerate(key)
            position = 0
        take = min(N - position, out.size - done)
        for j in range(take):
            y = key[position + j]
            y ^= y >> uint32(11)
            y ^= (y << uint32(7)) & uint32(0x9D2C5680)
            y ^= (y << uint32(15)) & uint32(0xEFC60000)
            y ^= y >> uint32(18)
            out[done + j] = y
        done += take
        position += take
    return position


@compiled
def _one_minus_doubles(words, out):  # pragma: no cover - compiled
    """out <- 1 - next_double, two words each: (a >> 5) 2^26 + (b >> 6) is 53 random bits, scaled by 2^-53."""
    for i in range(out.size):
        out[i] = 1.0 - ((words[2 * i] >> uint32(5)) * 67108864.0 + (words[2 * i + 1] >> uint32(6))) * (1.0 / 9007199254740992.0)


CHUNK = 4096  # doubles per round of words: the words stay in the first-level cache between the two loops


@compiled
def _fill(key, position, out):  # pragma: no cover - compiled
    words = np.empty(2 * CHUNK, dtype=np.uint32)
    done = 0
    while done < out.size:
        take = min(CHUNK, out.size - done)
        position = _words(key, position, words[: 2 * take])
        _one_minus_doubles(words[: 2 * take], out[done : done + take])
        done += take
    return position


def fill_one_minus_uniform(bit_generator: np.random.MT19937, outs: list[np.ndarray]) -> None:
    """Fill each array of ``outs`` (float64, C-contiguous) with 1 - U, U the stream's next doubles, and
    advance ``bit_generator`` past them, as ``1.0 - Generator(bit_generator).random(out=...)`` would.

    The loops work on the generator's own state, numpy's ``mt19937_state``
    struct (624 words, then the position as a C int) at the address numpy
    publishes for compiled code (``bit_generator.ctypes.state_address``):
    the ``state`` property would copy it through Python both ways, 0.1 ms.
    """
    address = bit_generator.ctypes.state_address
    key = np.ctypeslib.as_array((ctypes.c_uint32 * N).from_address(address))
    position = ctypes.c_int.from_address(address + key.nbytes)
    for out in outs:
        position.value = _fill(key, position.value, out.reshape(-1))
