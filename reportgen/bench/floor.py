"""The floor of one training step on this machine: the memory a step must move, the random numbers it
must draw and the arithmetic its definition must evaluate, at the rates measured here, as a time no
implementation of that definition can beat."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from reportgen.optimizers import mt19937
from reportgen.training.tasks import RunSpec
from reportgen.analysis.curves import adds_gaussian_noise
from reportgen.training import methods


@dataclasses.dataclass(frozen=True)
class Work:
    """Per weight, beyond reading and writing the weight and reading its gradient."""

    state: int = 0  # arrays of the weights' size read and written once (the method's state)
    divisions: int = 0  # the divisions its update evaluates: bit for bit, none may become a multiplication
    roots: int = 0  # the square roots
    skips_zero_rows: bool = False  # a zero gradient leaves the weight and the state exactly as they are


WORK = {
    "sgd": Work(skips_zero_rows=True),
    "momentum": Work(state=1),
    "nesterov": Work(state=1),
    "adagrad": Work(state=1, divisions=1, roots=1, skips_zero_rows=True),
    "adadelta": Work(state=2, divisions=1, roots=2),
    "rmsprop": Work(state=1, divisions=1, roots=1),
    "adam": Work(state=2, divisions=3, roots=1),  # m / c1 / (sqrt(v / c2) + eps)
    "nadam": Work(state=2, divisions=3, roots=1),  # g / d, m / d, d = sqrt(v / c2) + eps
    "gaussian_noise": Work(),
    "noise_training": Work(),
    "noise_gaussian": Work(),
    "adam_noise": Work(state=2, divisions=3, roots=1),
}
# The 2018 NAdam also divides (1 - beta1) g by (1 - beta1) and m by 1 - beta1.
WORK_2018 = {**WORK, "nadam": Work(state=2, divisions=4, roots=1)}


@dataclasses.dataclass(frozen=True)
class Machine:
    bandwidth: float  # bytes per second, read + write counted, 64 MB arrays (main memory)
    cache_bandwidth: float  # the same for arrays the size of W1, which stay in the cache
    uniforms: dict  # generator name -> doubles per second, by the fastest implementation here
    normals: float  # Generator.standard_normal per second
    exponentials: float  # Generator.standard_exponential per second
    divisions: float  # np.divide on arrays the size of W1, elements per second: bound by the divider, not memory
    roots: float  # np.sqrt, the same way
    logs: float  # np.log, the same way


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
    small = 784 * 256
    small_source, small_target = source[:small] * 1.5, target[:small]
    cache_bandwidth = best_rate(lambda: np.copyto(small_target, small_source), 2 * small_source.nbytes, repeats=50)
    pcg, mt = np.random.Generator(np.random.PCG64(0)), np.random.Generator(np.random.MT19937(0))
    mt19937.fill_one_minus_uniform(mt.bit_generator, [small_target])  # compiles or loads the loops before timing them
    return Machine(
        bandwidth=bandwidth,
        cache_bandwidth=cache_bandwidth,
        uniforms={  # a W1's worth at a time, as a step draws them
            "PCG64": best_rate(lambda: pcg.random(out=small_target), small, repeats=50),
            "MT19937": max(  # numpy's generator, or reportgen's compiled loops drawing the same numbers faster
                best_rate(lambda: mt.random(out=small_target), small, repeats=50),
                best_rate(lambda: mt19937.fill_one_minus_uniform(mt.bit_generator, [small_target]), small, repeats=50),
            ),
        },
        normals=best_rate(lambda: pcg.standard_normal(out=small_target), small, repeats=50),
        exponentials=best_rate(lambda: pcg.standard_exponential(out=small_target), small, repeats=50),
        divisions=best_rate(lambda: np.divide(small_source, small_source, out=small_target), small, repeats=50),
        roots=best_rate(lambda: np.sqrt(small_source, out=small_target), small, repeats=50),
        logs=best_rate(lambda: np.log(small_source, out=small_target), small, repeats=50),
    )


@dataclasses.dataclass(frozen=True)
class Floor:
    bytes: int  # per step
    uniforms: int  # per step, for the Gumbel samples
    normals: int  # per step
    operations: int  # divisions, square roots and logarithms per step
    seconds: float  # max(memory traffic, draws + operations), at the measured rates


def floor(spec: RunSpec, lit_fraction: float, machine: Machine) -> Floor:
    """The least one training step must do, given what its method's definition evaluates.

    Memory: the weights read and written, the gradient written and read
    (the first layer's only over the lit pixels), each state array read and
    written; the noise methods also write and read their noise. Where a zero
    gradient leaves weight and state exactly as they are (SGD, Adagrad), the
    first layer's weights and state count over the lit pixels only. A run's
    arrays (5-15 MB) fit in the last-level cache, so memory moves at the
    cache's bandwidth, the faster of the two measured.

    Arithmetic: one uniform per weight for a Gumbel sample and its two
    logarithms, one normal per weight for the per-element Gaussian (one for
    the 2018 scalar), and the divisions and square roots of the update, each
    at the rate NumPy reaches on cache-resident arrays (bound by the
    arithmetic units there, not memory). Memory and arithmetic overlap at
    best, so the floor is the larger of the two; the rest of a step (the
    forward and backward products, Python) is left out.
    """
    method, sizes = spec.method, spec.sizes
    weights = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    total, itemsize = sum(weights), np.dtype(spec.dtype).itemsize
    optimizer = methods.optimizer(method)
    work = (WORK_2018 if method.variant == "seed-2018" else WORK)[method.name]
    gradient = lit_fraction * weights[0] + sum(weights[1:]) if optimizer.gradient != "none" else 0
    touched = gradient if work.skips_zero_rows and not method.hyperparams.get("weight_decay") else total
    gumbel = total if optimizer.gradient == "none" else 0  # every gradient-free method is fed Gumbel samples
    if adds_gaussian_noise(method):
        normals = total if method.variant == "textbook" else 1
    else:
        normals = 0
    noise_arrays = (gumbel > 0) + (normals == total)
    elements = 2 * touched + 2 * gradient + 2 * work.state * touched + 2 * noise_arrays * total
    memory = elements * itemsize / max(machine.bandwidth, machine.cache_bandwidth)
    uniform_rate = machine.uniforms["MT19937" if method.variant == "seed-2018" else "PCG64"]
    draws = gumbel / uniform_rate + 2 * gumbel / machine.logs + normals / machine.normals
    arithmetic = touched * (work.divisions / machine.divisions + work.roots / machine.roots)
    operations = touched * (work.divisions + work.roots) + 2 * gumbel
    return Floor(int(elements * itemsize), gumbel, normals, int(operations), max(memory, draws + arithmetic))
