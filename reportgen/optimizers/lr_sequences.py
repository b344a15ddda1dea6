"""torch.optim.lr_scheduler's learning rates, operation for operation: ``get_lr`` of each kind as a
generator of the lr after 0, 1, 2 ... scheduler steps, and OneCycleLR's phases.

Several torch schedulers compute the next lr from the current one, so the
rounding of that recursion is part of their numbers; ``schedules`` checks
the parameters and turns these into values per step.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator


def _constant(schedule, base) -> Iterator[float]:
    lr = base * schedule["factor"]
    yield lr
    for step in itertools.count(1):
        if step == schedule["total_iters"]:
            lr = lr * (1.0 / schedule["factor"])
        yield lr


def _step(schedule, base) -> Iterator[float]:
    lr = base
    yield lr
    for step in itertools.count(1):
        if step % schedule["step_size"] == 0:
            lr = lr * schedule["gamma"]
        yield lr


def _multistep(schedule, base) -> Iterator[float]:
    milestones = Counter(schedule["milestones"])
    lr = base
    yield lr
    for step in itertools.count(1):
        if step in milestones:
            lr = lr * schedule["gamma"] ** milestones[step]
        yield lr


def _exponential(schedule, base) -> Iterator[float]:
    lr = base
    while True:
        yield lr
        lr = lr * schedule["gamma"]


def _cosine(schedule, base, first=None) -> Iterator[float]:
    """CosineAnnealingLR from ``first`` (default the base lr); past T_max it rises again, as torch's does."""
    t_max, eta_min = schedule["T_max"], schedule["eta_min"]
    lr = base if first is None else first
    yield lr
    for step in itertools.count(1):
        if (step - 1 - t_max) % (2 * t_max) == 0:  # torch's step out of the trough, where the ratio below is 0 / 0
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = (1 + math.cos(math.pi * step / t_max)) / (1 + math.cos(math.pi * (step - 1) / t_max)) * (lr - eta_min) + eta_min
        yield lr


def _linear(schedule, base) -> Iterator[float]:
    start, end, total = schedule["start_factor"], schedule["end_factor"], schedule["total_iters"]
    lr = base * start
    yield lr
    for step in itertools.count(1):
        if step <= total:
            lr = lr * (1.0 + (end - start) / (total * start + (step - 1) * (end - start)))
        yield lr


def _warmup_cosine(schedule, base) -> Iterator[float]:
    """SequentialLR: LinearLR up to the base lr for warmup_steps steps, then CosineAnnealingLR, which
    SequentialLR starts at the milestone from its closed form at epoch 0."""
    warmup = schedule["warmup_steps"]
    linear = {"start_factor": schedule["start_factor"], "end_factor": 1.0, "total_iters": warmup}
    yield from itertools.islice(_linear(linear, base), warmup)
    eta_min = schedule["eta_min"]
    yield from _cosine(schedule, base, first=eta_min + (base - eta_min) * (1 + math.cos(math.pi * 0 / schedule["T_max"])) / 2)


SEQUENCES = {
    "constant": _constant, "step": _step, "multistep": _multistep, "exponential": _exponential,
    "cosine": _cosine, "linear": _linear, "warmup_cosine": _warmup_cosine,
}


def onecycle_phases(schedule) -> list[tuple[float, float, float, float, float]]:
    """OneCycleLR's phases: (end step, lr from, lr to, momentum from, momentum to); momentum falls while lr rises."""
    total, pct = schedule["total_steps"], schedule["pct_start"]
    peak = schedule["max_lr"]
    initial = peak / schedule["div_factor"]
    final = initial / schedule["final_div_factor"]
    high, low = schedule["max_momentum"], schedule["base_momentum"]
    if schedule["three_phase"]:
        return [(float(pct * total) - 1, initial, peak, high, low), (float(2 * pct * total) - 2, peak, initial, low, high), (total - 1, initial, final, high, high)]
    return [(float(pct * total) - 1, initial, peak, high, low), (total - 1, peak, final, low, high)]


def onecycle_point(phases, anneal, step) -> tuple[float, float]:
    """(lr, momentum) at ``step``, by torch's search for the phase and its interpolation within it."""
    start = 0.0
    for phase in phases[:-1]:
        if step <= phase[0]:
            break
        start = phase[0]
    else:
        phase = phases[-1]  # torch's last phase takes every later step
    end, lr_from, lr_to, momentum_from, momentum_to = phase
    pct = (step - start) / (end - start)
    return anneal(lr_from, lr_to, pct), anneal(momentum_from, momentum_to, pct)


def _annealing_cos(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _annealing_linear(start, end, pct):
    return (end - start) * pct + start


ANNEAL = {"cos": _annealing_cos, "linear": _annealing_linear}
