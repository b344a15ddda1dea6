"""Learning-rate sweeps, what they show: plain data (``SweepAnalysis``) for the figures and templates.

Per method and swept hyperparameter: the final cost of every cell, its status
(diverged / no progress / converged), the best value, the robust range and
the tuned-vs-default comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import COST_METRIC
from reportgen.analysis.events import divergence_epoch
from reportgen.sweep.plan import Axis, Plan, cell_name
from reportgen.training.results import MethodSpec, RunMetrics
from reportgen.training import methods

# A run made "no progress" when its final cost is not at least this fraction below its first epoch's.
PROGRESS_FRACTION = 0.10


# The robust range: learning rates whose median final cost is within this fraction of the best,
# or within ROBUST_FLOOR of the best run's first-epoch cost when that is wider: once costs
# fall to 1e-9, "10% of the best" would tell apart fits that are all perfect.
ROBUST_FRACTION = 0.10


ROBUST_FLOOR = 0.01


STATUSES = ("converged", "no progress", "diverged")


@dataclass(frozen=True)
class Cell:
    """One learning rate (or eta) of one method, over the seeds."""

    value: float
    start_cost: list[float]  # per seed, the first epoch's cost
    final_cost: list[float]  # per seed, the last epoch's cost; NaN if the run stopped
    diverged_epoch: list[int]  # per seed, 1-based, 0 = never (analysis.divergence_epoch)
    status: list[str]  # per seed, one of STATUSES
    median_cost: float  # over seeds; a diverged seed counts as infinitely bad


@dataclass(frozen=True)
class Series:
    """One method's sweep over one hyperparameter."""

    method: str
    letter: str
    title: str
    variant: str
    parameter: str  # "lr", "eta" or "max_lr" (reportgen.sweep.plan.PEAK)
    cells: list[Cell]  # in grid order
    default: Cell  # the experiment's own value
    best: Cell  # lowest median final cost (the first of equals)
    has_best: bool  # False when every value diverged on some seed: no finite median to tune to
    robust_low: float  # the contiguous range around the best whose median is within ROBUST_FRACTION
    robust_high: float
    robust_decades: float  # log10(robust_high / robust_low)
    robust_open: bool  # the range reaches the edge of the grid: it may be wider
    best_at_edge: bool  # the best value is the grid's first or last: widen the grid
    tuned_wins: int  # seeds where the best value's final cost is below the default's
    tuned_ratio: float  # default median / best median (> 1: tuning helps)

    @property
    def values(self) -> list[float]:
        return [cell.value for cell in self.cells]


@dataclass(frozen=True)
class SweepAnalysis:
    experiment: str
    variant: str
    seeds: list[int]
    epochs: int
    cost_metric: str
    runs: int  # distinct training runs behind the sweep
    series: list[Series]
    progress_fraction: float = PROGRESS_FRACTION
    robust_fraction: float = ROBUST_FRACTION
    robust_floor: float = ROBUST_FLOOR


def _cell(value: float, outcomes: list[RunMetrics]) -> Cell:
    starts, finals, diverged, status = [], [], [], []
    for metrics in outcomes:
        curve = metrics.arrays[COST_METRIC]
        epoch = divergence_epoch(curve, metrics.diverged_epoch)
        starts.append(float(curve[0]))
        finals.append(float(curve[-1]))
        diverged.append(epoch)
        if epoch:
            status.append("diverged")
        elif not curve[-1] <= (1.0 - PROGRESS_FRACTION) * curve[0]:
            status.append("no progress")
        else:
            status.append("converged")
    ranked = [math.inf if epoch or not math.isfinite(cost) else cost for cost, epoch in zip(finals, diverged)]
    return Cell(value, starts, finals, diverged, status, float(np.median(ranked)))


def _robust_range(cells: list[Cell], best: int) -> tuple[int, int]:
    best_cost = cells[best].median_cost
    limit = best_cost + max(ROBUST_FRACTION * best_cost, ROBUST_FLOOR * float(np.median(cells[best].start_cost)))
    low = high = best
    while low > 0 and cells[low - 1].median_cost <= limit:
        low -= 1
    while high < len(cells) - 1 and cells[high + 1].median_cost <= limit:
        high += 1
    return low, high


def _series(axis: Axis, seeds: tuple[int, ...], runs: dict[tuple[str, int], RunMetrics]) -> Series:
    def cell(method: MethodSpec) -> Cell:
        return _cell(axis.value_of(method), [runs[cell_name(method), seed] for seed in seeds])

    cells = [cell(axis.with_value(value)) for value in axis.values]
    default = cell(axis.method)
    best_index = int(np.argmin([c.median_cost for c in cells]))
    best = cells[best_index]
    finite = math.isfinite(best.median_cost)
    low, high = _robust_range(cells, best_index) if finite else (best_index, best_index)
    wins = sum(
        1
        for tuned, tuned_epoch, plain, plain_epoch in zip(best.final_cost, best.diverged_epoch, default.final_cost, default.diverged_epoch)
        if not tuned_epoch and (plain_epoch or not math.isfinite(plain) or tuned < plain)
    )
    return Series(
        method=axis.method.name,
        letter=axis.method.letter,
        title=methods.info(axis.method).title,
        variant=axis.method.variant,
        parameter=axis.parameter,
        cells=cells,
        default=default,
        best=best,
        has_best=finite,
        robust_low=cells[low].value,
        robust_high=cells[high].value,
        robust_decades=math.log10(cells[high].value / cells[low].value) if finite else math.nan,
        robust_open=finite and (low == 0 or high == len(cells) - 1),
        best_at_edge=best_index in (0, len(cells) - 1),
        tuned_wins=wins if finite else 0,
        tuned_ratio=default.median_cost / best.median_cost if finite and best.median_cost > 0 else math.nan,
    )


def analyse_sweep(planned: Plan, runs: dict[tuple[str, int], RunMetrics]) -> SweepAnalysis:
    experiment = planned.experiment
    return SweepAnalysis(
        experiment=experiment.name,
        variant=experiment.config["variant"],
        seeds=list(planned.seeds),
        epochs=experiment.config["training"]["epochs"],
        cost_metric=COST_METRIC,
        runs=len(planned.specs()),
        series=[_series(axis, planned.seeds, runs) for axis in planned.axes],
    )
