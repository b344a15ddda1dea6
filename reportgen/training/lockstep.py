"""Runs of one seed stepped together: how far their weights drift from the first run's and what that does to the cost.

All runs start from the same weights and order, and advance one epoch each
in turn (``engine.epochs``). After every epoch, for each run after the first,
with d = w_run - w_first and J the summed cost over the training set (the
scale of the plotted curves), it records the measured gap J(w_run) - J(w_first)
and its first-order prediction, the directional derivative of J at w_first along d:

    D_d J(w_first) ~ (J(w_first + h d) - J(w_first - h d)) / (2 h),  h = STEP.

A central difference rather than backpropagation, because the 2018 ELU's
"derivative" is not the derivative of its forward function: this is the
slope of the cost the figure plots, whatever the activation. Its error is
O(h^2 |d|^3), negligible here. When the measured gap matches the first-order
one, the cost gap is explained by the weight gap to first order, g . d.

The group's runs are the same computations as the plain runs of their specs
(same weights, noise and order, bit for bit), and are returned as such, so a
method trained in a group is not trained again on its own; only the
per-epoch comparison is extra. If a run stops as diverged, the group stops there.
"""

from __future__ import annotations

import numpy as np

from reportgen.model import network
from reportgen.training import engine, seeding
from reportgen.training.record import Recorder, cast_data
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import LockstepSpec, RunSpec

STEP = 1e-3


def total_cost(w, X, y, activation) -> float:
    return float(np.sum(network.cost(network.forward(w, X, activation).a3, y)))


def _run(spec: RunSpec, split, params, recorder: Recorder):
    noise = seeding.noise_stream(spec.seed, spec.noise_variant, split.pool_size, spec.sizes, spec.noise_stream)
    return engine.epochs(spec, split, params, noise, seeding.order_stream(spec.seed), recorder)


def _compare(group: LockstepSpec, epoch: int, weights, recorders, arrays: dict, X, y) -> None:
    """After an epoch: each later run against the first, into ``arrays`` at ``epoch``."""
    first = group.runs[0]
    w_first = weights[0]
    cost_first = total_cost(w_first, X, y, first.activation)
    for run, recorder, w in zip(group.runs[1:], recorders[1:], weights[1:]):
        gap = [b - a for a, b in zip(w_first, w)]
        ahead = total_cost([a + STEP * d for a, d in zip(w_first, gap)], X, y, first.activation)
        behind = total_cost([a - STEP * d for a, d in zip(w_first, gap)], X, y, first.activation)
        name = run.method.name
        arrays[f"{name}:cost_logged"][epoch] = recorder.arrays["train_cost_logged"][epoch]
        arrays[f"{name}:cost_gap"][epoch] = total_cost(w, X, y, run.activation) - cost_first
        arrays[f"{name}:first_order_gap"][epoch] = (ahead - behind) / (2 * STEP)
        arrays[f"{name}:weight_gap"][epoch] = float(np.sqrt(sum(np.sum(d * d) for d in gap)))


def train_group(group: LockstepSpec, split) -> tuple[RunMetrics, list[RunMetrics]]:
    """Every run of ``group`` in lockstep: (the comparison, arrays ``group.metrics`` NaN after a divergence; each run's own metrics)."""
    first = group.runs[0]
    params = seeding.initial_weights(first.seed, split.pool_size, first.sizes)
    data = cast_data(split, np.dtype(first.dtype))
    X, y = data[0], data[1]
    recorders = [Recorder(run, data) for run in group.runs]
    arrays = {name: np.full(group.epochs, np.nan) for name in group.metrics}
    for epoch, weights in enumerate(zip(*(_run(run, split, params, recorder) for run, recorder in zip(group.runs, recorders)))):
        with np.errstate(all="ignore"):  # a run on its way to diverging overflows here as in its own epochs
            _compare(group, epoch, weights, recorders, arrays, X, y)
    runs = [recorder.metrics for recorder in recorders]
    stopped = [run.diverged_epoch for run in runs if run.diverged_epoch]
    reasons = "; ".join(f"{spec.method.name}: {run.divergence_reason}" for spec, run in zip(group.runs, runs) if run.divergence_reason)
    return RunMetrics(arrays, diverged_epoch=min(stopped) if stopped else 0, divergence_reason=reasons), runs
