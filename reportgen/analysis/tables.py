"""The results table: one row per method, its rank with the range the paired comparisons allow, epochs to target."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import final_costs, first_stop, method_title, quiet, seed_summary
from reportgen.analysis.events import divergence_epoch
from reportgen.analysis.ranking import rank_order, rank_ranges, ranks_last, shown_lower
from reportgen.formatting import distinguishing_digits, number
from reportgen.training.results import ResultSet

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
    final_cost_digits: int  # significant digits that tell this final cost apart from every other in the table
    final_cost_spread: float  # max - min over those seeds, 0 for one seed
    best_cost: float  # lowest point of the median curve
    best_cost_digits: int  # likewise for the best cost
    best_epoch: int
    test_accuracy: float  # final epoch, median over seeds
    diverged_runs: int  # seeds whose run stopped as diverged (non-finite or huge weights)
    diverged_epoch: int  # where the plotted curve diverges (events.divergence_epoch: a stop or a blow-up), 0 = never
    seconds_per_epoch: float
    epochs_to_target: int  # first epoch whose plotted (median) cost <= target_cost, 0 = never
    rank: int  # place in the order: 1 = lowest median final cost; methods with a diverged run last
    rank_low: int  # the best rank the paired comparisons allow (reportgen.analysis.ranking)
    rank_high: int  # the worst


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
                title=method_title(spec),
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
    finals_of_rows = [row["final_cost"] for row in provisional]
    ranks = rank_order(finals_of_rows, [row["diverged_epoch"] for row in provisional])
    last = [ranks_last(row["final_cost"], row["diverged_epoch"]) for row in provisional]
    ranges = rank_ranges(shown_lower(finals, last))
    digits = zip(distinguishing_digits(finals_of_rows), distinguishing_digits([row["best_cost"] for row in provisional]))
    return [
        MethodRow(**row, final_cost_digits=final, best_cost_digits=best, rank=rank, rank_low=low, rank_high=high)
        for row, (final, best), rank, (low, high) in zip(provisional, digits, ranks, ranges)
    ]


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
