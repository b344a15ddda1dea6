"""Ranks and what the seeds allow one to say about them: every order the report states rests on a paired interval.

The order is by median final cost, a method whose curve diverges after all
others (the divergence rule: an observed event, not an estimate). Method x is
*shown lower* than y when y diverges and x does not, or when the paired
sign-test interval of x - y over the seeds (``paired.paired_difference``) lies
below zero. Where the interval includes zero, or where there are too few seeds
for a 95% interval (fewer than ``paired.MIN_PAIRS``), the two are a tie.

A method's rank is then the range the evidence allows: from 1 + the number of
methods shown lower than it to the number of methods minus those shown higher
(a league table with rank intervals). A single number means its place is
settled; with one seed no pair is told apart and only the divergence rule
orders methods: the order of single runs is untested. Each interval is a
statement on its own, with no correction for the many pairs: six seeds could
not pass one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis.paired import PairedDifference, interval_rank, paired_difference

if TYPE_CHECKING:  # the rows are built by tables, which imports this module
    from reportgen.analysis.tables import MethodRow


@dataclass(frozen=True)
class RankStep:
    """Two methods next to each other in the order: ``above`` has the lower median final cost."""

    above: str
    below: str
    difference: PairedDifference  # above's final cost - below's, seed by seed
    by_rule: bool  # below diverges and above does not: ordered by the divergence rule, not by a test

    @property
    def shown_lower(self) -> str:
        """The method the paired interval (or the divergence rule) shows to end lower; "" for a tie."""
        if self.by_rule or self.difference.high < 0:
            return self.above
        return self.below if self.difference.low > 0 else ""


@dataclass(frozen=True)
class Ranking:
    """The paired comparisons behind an experiment's ranks."""

    seeds: int
    coverage: float  # of a paired interval over all the seeds; NaN: too few seeds for one
    agreeing: int  # seeds that must agree on the sign of a difference for it to be declared; 0: none can be
    steps: list[RankStep]  # each method against the next in the order

    @property
    def tested(self) -> bool:
        return math.isfinite(self.coverage)


def ranks_last(final_cost: float, diverged_epoch: int) -> bool:
    """The divergence rule: a method whose curve diverges, or that has no final cost, ranks after all others."""
    return bool(diverged_epoch) or not np.isfinite(final_cost)


def rank_order(final_costs, diverged) -> list[int]:
    """1 = lowest median final cost; a method that ``ranks_last`` comes after all others. Equal costs keep the a-l order."""
    keys = [
        (ranks_last(cost, epoch), cost if np.isfinite(cost) else math.inf, position)
        for position, (cost, epoch) in enumerate(zip(final_costs, diverged))
    ]
    ranks = [0] * len(keys)
    for rank, key in enumerate(sorted(keys), start=1):
        ranks[key[2]] = rank
    return ranks


def shown_lower(finals: np.ndarray, last: list[bool]) -> np.ndarray:
    """[x, y]: method x is shown to end lower than method y (``finals``: methods x seeds)."""
    count = len(finals)
    lower = np.zeros((count, count), dtype=bool)
    for x in range(count):
        for y in range(count):
            if x != y:
                # Across the divergence rule the rule decides; otherwise the paired interval must lie below zero.
                lower[x, y] = last[y] if last[x] != last[y] else paired_difference(finals[x], finals[y]).high < 0
    return lower


def rank_ranges(lower: np.ndarray) -> list[tuple[int, int]]:
    """(best, worst) rank of each method that the ``shown_lower`` matrix allows."""
    count = len(lower)
    return [(1 + int(lower[:, method].sum()), count - int(lower[method, :].sum())) for method in range(count)]


def of_rows(rows: list[MethodRow], finals: np.ndarray) -> Ranking:
    """Each method against the next in the order of the rows' ranks (``finals``: methods x seeds, in row order)."""
    order = sorted(range(len(rows)), key=lambda position: rows[position].rank)
    last = [ranks_last(row.final_cost, row.diverged_epoch) for row in rows]
    steps = [
        RankStep(rows[above].method, rows[below].method, paired_difference(finals[above], finals[below]), last[below] and not last[above])
        for above, below in zip(order, order[1:])
    ]
    seeds = finals.shape[1]
    k, coverage = interval_rank(seeds)  # the interval [d(k), d(seeds + 1 - k)] excludes zero when seeds + 1 - k differences share a sign
    return Ranking(seeds=seeds, coverage=coverage, agreeing=seeds + 1 - k if k else 0, steps=steps)


def not_told_apart(values: np.ndarray, reference: int) -> list[int]:
    """The methods whose paired difference from method ``reference`` (rows of ``values``: methods x seeds) is a tie."""
    return [other for other in range(len(values)) if other != reference and paired_difference(values[other], values[reference]).tie]
