"""Paired comparisons across seeds: the median difference with an exact, distribution-free interval.

Two runs of one seed share their initial weights, data order and noise
streams, so their final costs are paired. For n paired differences
d_(1) <= ... <= d_(n), the interval [d_(k), d_(n+1-k)] covers the median
difference with probability 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2),
whatever the differences' distribution (the sign-test interval; Conover,
Practical Nonparametric Statistics, 3rd ed., section 3.2). We take the
largest k whose coverage is at least ``CONFIDENCE`` and report the coverage
it really has. With fewer than ``MIN_PAIRS`` pairs no interval reaches 95%,
and the comparison is a tie by declaration: five seeds give at most 93.75%.

A difference is a tie when its interval includes zero. The two-sided sign
test's exact p-value comes with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
MIN_PAIRS = 6  # the smallest n with 1 - 2 / 2**n >= 0.95


@dataclass(frozen=True)
class PairedDifference:
    """first - second over the pairs where both are finite."""

    pairs: int
    median: float
    low: float  # NaN when there are too few pairs for an interval
    high: float
    coverage: float  # exact coverage of [low, high]; NaN without an interval
    first_lower: int  # pairs where first < second
    second_lower: int
    p_value: float  # exact two-sided sign test (zero differences dropped)

    @property
    def tie(self) -> bool:
        """No interval, or one that includes zero: neither is shown to be lower."""
        return not (self.low > 0 or self.high < 0)


def _lower_tail(k: int, n: int) -> float:
    """P(B <= k) for B ~ Binomial(n, 1/2), exactly."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def interval_rank(pairs: int, confidence: float = CONFIDENCE) -> tuple[int, float]:
    """(k, coverage) of the narrowest sign-test interval [d_(k), d_(n+1-k)] with coverage >= confidence; (0, NaN) if none."""
    best = (0, math.nan)
    for k in range(1, pairs // 2 + 1):
        coverage = 1.0 - 2.0 * _lower_tail(k - 1, pairs)
        if coverage < confidence:
            break
        best = (k, coverage)
    return best


def sign_test(first_lower: int, second_lower: int) -> float:
    """Exact two-sided sign test of "neither is lower more often" (ties dropped)."""
    n = first_lower + second_lower
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * _lower_tail(min(first_lower, second_lower), n))


def paired_difference(first, second, confidence: float = CONFIDENCE) -> PairedDifference:
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    both = np.isfinite(first) & np.isfinite(second)
    differences = np.sort(first[both] - second[both])
    n = differences.size
    first_lower, second_lower = int(np.count_nonzero(differences < 0)), int(np.count_nonzero(differences > 0))
    k, coverage = interval_rank(n, confidence)
    low, high = (float(differences[k - 1]), float(differences[n - k])) if k else (math.nan, math.nan)
    return PairedDifference(
        pairs=n,
        median=float(np.median(differences)) if n else math.nan,
        low=low,
        high=high,
        coverage=coverage,
        first_lower=first_lower,
        second_lower=second_lower,
        p_value=sign_test(first_lower, second_lower),
    )
