"""The results table: one row per method, ranks, paired comparisons across seeds, epochs to target."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import final_costs, first_stop, method_title, quiet, seed_summary
from reportgen.analysis.events import divergence_epoch
from reportgen.formatting import number
from reportgen.training.results import ResultSet

PAIRED_BASELINE = "sgd"
# Epochs-to-target: unless the config sets [report] target_cost, the target is
# this fraction of the median over methods of the first epoch's cost.
TARGET_FRACTION = 0.10


@dataclass(frozen=True)
class MethodRow:
    """One line of the results table, aggregated over seeds."""

    method: str
    letter: str
    title: str
    variant: str
    final_cost: float  # median over the seeds that did not diverge (NaN if all did)
    final_cost_spread: float  # max - min over those seeds, 0 for one seed
    best_cost: float  # lowest point of the median curve
    best_epoch: int
    test_accuracy: float  # final epoch, median over seeds
    diverged_runs: int  # seeds whose run stopped as diverged (non-finite or huge weights)
    diverged_epoch: int  # where the plotted curve diverges (events.divergence_epoch: a stop or a blow-up), 0 = never
    seconds_per_epoch: float
    epochs_to_target: int  # first epoch whose plotted (median) cost <= target_cost, 0 = never
    rank: int  # 1 = lowest final cost; methods with a diverged run rank last


@dataclass(frozen=True)
class PairedComparison:
    """first vs second across seeds: same weights and noise per seed, so paired."""

    first: str
    second: str
    seeds: int  # seeds where both runs have a final cost
    first_better: int  # seeds where first's final cost < second's
    median_difference: float  # median of (first - second) final cost


def rows(result_set: ResultSet, target_cost: float) -> list[MethodRow]:
    median, _, _ = seed_summary(result_set)
    accuracy = result_set.metric("test_accuracy")[:, :, -1]
    seconds = result_set.metric("epoch_seconds")
    finals = final_costs(result_set)
    diverged = np.asarray(result_set.diverged_epoch)
    provisional = []
    for position, spec in enumerate(result_set.methods):
        runs = diverged[position]
        kept = finals[position][(runs == 0) & np.isfinite(finals[position])]
        final = float(np.median(kept)) if kept.size else math.nan
        spread = float(kept.max() - kept.min()) if kept.size else math.nan
        curve = median[position]
        best_epoch = int(np.nanargmin(curve)) + 1 if np.isfinite(curve).any() else 0
        best = float(curve[best_epoch - 1]) if best_epoch else math.nan
        reached = np.flatnonzero(median[position] <= target_cost)
        provisional.append(
            dict(
                method=spec.name,
                letter=spec.letter,
                title=method_title(spec.name, spec.variant),
                variant=spec.variant,
                final_cost=final,
                final_cost_spread=spread,
                best_cost=best,
                best_epoch=best_epoch,
                test_accuracy=float(quiet(np.nanmedian, accuracy[position])),
                diverged_runs=int(np.count_nonzero(runs)),
                diverged_epoch=divergence_epoch(curve, first_stop(result_set, position)),
                seconds_per_epoch=float(quiet(np.nanmean, seconds[position])),
                epochs_to_target=int(reached[0]) + 1 if reached.size else 0,
            )
        )
    ranks = rank_order([row["final_cost"] for row in provisional], [row["diverged_epoch"] for row in provisional])
    return [MethodRow(**row, rank=rank) for row, rank in zip(provisional, ranks)]


def rank_order(final_costs, diverged) -> list[int]:
    """1 = lowest final cost; a method whose curve diverges (or with no final cost) ranks after all others.

    Ties keep the a-l order.
    """
    keys = [
        (bool(diverged) or not np.isfinite(cost), cost if np.isfinite(cost) else math.inf, position)
        for position, (cost, diverged) in enumerate(zip(final_costs, diverged))
    ]
    ranks = [0] * len(keys)
    for rank, key in enumerate(sorted(keys), start=1):
        ranks[key[2]] = rank
    return ranks


def paired_comparisons(result_set: ResultSet, baseline: str = PAIRED_BASELINE) -> list[PairedComparison]:
    """Each method against the baseline seed by seed; empty with one seed or no baseline."""
    names = [spec.name for spec in result_set.methods]
    if len(result_set.seeds) < 2 or baseline not in names:
        return []
    finals = final_costs(result_set)
    reference = finals[names.index(baseline)]
    comparisons = []
    for position, name in enumerate(names):
        if name == baseline:
            continue
        both = np.isfinite(finals[position]) & np.isfinite(reference)
        difference = finals[position][both] - reference[both]
        comparisons.append(
            PairedComparison(
                first=name,
                second=baseline,
                seeds=int(both.sum()),
                first_better=int(np.count_nonzero(difference < 0)),
                median_difference=float(np.median(difference)) if difference.size else math.nan,
            )
        )
    return comparisons


def target_rule(result_set: ResultSet) -> str:
    """Where the target of "epochs to target" comes from, as the report states it."""
    if result_set.config["report"]["target_cost"] is not None:
        return "set by the config's [report] target_cost"
    first_epoch = seed_summary(result_set)[0][:, 0]
    return f"a tenth of the median over methods of the first epoch's plotted cost, {number(float(quiet(np.nanmedian, first_epoch)))}; set [report] target_cost to choose another"


def target_cost(result_set: ResultSet) -> float:
    """The config's ``[report] target_cost``, or else TARGET_FRACTION of the median over methods of the first epoch's plotted cost."""
    configured = result_set.config["report"]["target_cost"]
    if configured is not None:
        return configured
    first_epoch = seed_summary(result_set)[0][:, 0]
    return TARGET_FRACTION * float(quiet(np.nanmedian, first_epoch))
