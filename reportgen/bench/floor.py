"""The floor of one training step on this machine: the memory a step must move and the random numbers it
must draw, at the bandwidth and generator throughput measured here, as a time no implementation can beat."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from reportgen.training.tasks import RunSpec
from reportgen.analysis.curves import adds_gaussian_noise
from reportgen.training import methods

# Arrays of the weights' size that a fused step would read and write, beyond
# the weights themselves (read + write) and the gradient (write, then read):
# the method's state, each read and written once.
STATE_ARRAYS = {
    "sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "adadelta": 2, "rmsprop": 1,
    "adam": 2, "nadam": 2, "gaussian_noise": 0, "noise_training": 0, "noise_gaussian": 0, "adam_noise": 2,
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Machine:
    bandwidth: float  # bytes per second, read + write counted, 64 MB arrays (main memory)
    cache_bandwidth: float  # the same for arrays the size of W1, which stay in the cache
    uniforms: dict  # generator name -> doubles per second
    normals: float  # Generator.standard_normal per second
    exponentials: float  # Generator.standard_exponential per second


def best_rate(work, count: int, repeats: int = 5) -> float:
    """Items per second of the fastest of ``repeats`` calls: the machine's capability, not its noise."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return count / min(seconds)


def measure_machine() -> Machine:
    size = 8 * 2**20  # 64 MB of float64: far beyond the caches
    source, target = np.ones(size), np.empty(size)
    bandwidth = best_rate(lambda: np.copyto(target, source), 2 * source.nbytes)
    small_source, small_target = source[: 784 * 256], target[: 784 * 256]
    cache_bandwidth = best_rate(lambda: np.copyto(small_target, small_source), 2 * small_source.nbytes, repeats=50)
    pcg, mt = np.random.Generator(np.random.PCG64(0)), np.random.Generator(np.random.MT19937(0))
    return Machine(
        bandwidth=bandwidth,
        cache_bandwidth=cache_bandwidth,
        uniforms={
            "PCG64": best_rate(lambda: pcg.random(out=target), size),
            "MT19937": best_rate(lambda: mt.random(out=target), size),
        },
        normals=best_rate(lambda: pcg.standard_normal(out=target), size),
        exponentials=best_rate(lambda: pcg.standard_exponential(out=target), size),
    )


@dataclasses.dataclass(frozen=True)
class Floor:
    bytes: int  # per step
    uniforms: int  # per step, for the Gumbel samples
    normals: int  # per step
    seconds: float  # the memory traffic and the draws, at the measured rates


def floor(spec: RunSpec, lit_fraction: float, machine: Machine) -> Floor:
    """The least one training step must do, whatever the implementation.

    Memory: the weights read and written, the gradient written and read
    (the first layer's only over the lit pixels), each state array read and
    written; the noise methods also write and read their noise. Draws: one
    uniform per weight for a Gumbel sample, one normal per weight for the
    per-element Gaussian, one normal for the 2018 scalar. A run's arrays
    (5-15 MB) fit in the last-level cache, so memory moves at the cache's
    bandwidth, the faster of the two measured.
    """
    method, sizes = spec.method, spec.sizes
    weights = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    total, itemsize = sum(weights), np.dtype(spec.dtype).itemsize
    optimizer = methods.optimizer(method)
    gradient = lit_fraction * weights[0] + sum(weights[1:]) if optimizer.gradient != "none" else 0
    gumbel = total if optimizer.gradient == "none" else 0  # every gradient-free method is fed Gumbel samples
    if adds_gaussian_noise(method):
        normals = total if method.variant == "textbook" else 1
    else:
        normals = 0
    noise_arrays = (gumbel > 0) + (normals == total)
    elements = 2 * total + 2 * gradient + 2 * STATE_ARRAYS[method.name] * total + 2 * noise_arrays * total
    uniform_rate = machine.uniforms["MT19937" if method.variant == "seed-2018" else "PCG64"]
    seconds = elements * itemsize / max(machine.bandwidth, machine.cache_bandwidth) + gumbel / uniform_rate + normals / machine.normals
    return Floor(int(elements * itemsize), gumbel, normals, seconds)
