"""Scores across problems from times to a target: Dolan-More performance profiles, AlgoPerf's integrated score,
the geometric-mean speed-up against a reference method, seed-bootstrap intervals, and rankings with ties declared.

Everything here takes times ``t[..., p, m]`` (problems x methods; leading axes are bootstrap resamples), each the
median over seeds of one method's time to one problem's target, +inf where that median did not reach it
(``reportgen.analysis.scores`` makes them). The conventions are AlgoPerf's, read in mlcommons/algorithmic-efficiency
at commit 2c90454 (September 2025): scoring/performance_profile.py (``compute_performance_profiles``,
``compute_leaderboard_score``), scoring/score_submissions.py (which calls them with min_tau=1, max_tau=4,
num_points=100, scale='linear', normalize=True), scoring/compute_speedups.py and docs/DOCUMENTATION.md, section
"AlgoPerf Benchmark Score via Integrated Performance Profiles".

- Ratio: r[p, m] = t[p, m] / min over methods of t[p, :]. A method that did not reach has r = inf; on a problem
  no method reaches every ratio is inf (AlgoPerf divides inf by inf there, and ``DataFrame.update`` skips the
  NaN, leaving the time's inf). Ratios do not change when a problem's times are all scaled, so epochs
  (steps / steps per epoch) give the same ratios as steps.
- Profile: rho_m(tau) = (number of problems with r[p, m] <= tau) / (number of problems). Problems that no method
  reaches stay in the denominator, as AlgoPerf divides by its fixed number of workloads. rho_m never decreases.
- Integrated score: B_m = 1/(r_max - 1) * integral from 1 to r_max of rho_m(tau) dtau, r_max = 4, in [0, 1]:
  1 for a method fastest on every problem, 0 for one never within r_max times the fastest. Computed as AlgoPerf
  computes it: trapezoids on ``GRID_POINTS`` = 100 equally spaced taus from 1 to r_max, so the numbers match its
  leaderboard's. The exact integral of the step function is the mean over problems of
  clip((r_max - r) / (r_max - 1), 0, 1); the grid smears each jump of rho over one grid interval and so differs
  from it by at most 1 / (2 (GRID_POINTS - 1)), about 0.005. AlgoPerf first sets times beyond 4 times the
  fastest to inf, which changes nothing on [1, r_max].
- Speed-up against the reference (SGD): per problem t[p, reference] / t[p, m] (DOCUMENTATION.md's definition,
  above 1 when m is faster), the geometric mean over the problems that both reach; NaN when there are none.
  A problem only one of the two reaches has no finite speed-up and is counted apart (``SpeedUp.only_method``,
  ``only_reference``): compute_speedups.py puts the time budget + 1 second in place of inf instead, which would
  average a bound as if it were a time.
- Intervals: ``RESAMPLES`` bootstrap resamples of the seeds. In each, every problem draws its seeds with
  replacement, one draw shared by all the methods on it (runs of one seed share initial weights, data order and
  noise: the paired design of ``paired``), the medians over seeds are taken again and every score recomputed
  against the same targets. The interval is the central ``CONFIDENCE`` range of the resampled scores (percentile
  bootstrap); resamples where a score is undefined (a speed-up with no problem in common) are left out. The
  generator's seed is fixed, so a build states the same intervals every time.
- Ties (a paired rule): both methods' scores in a resample come from the same drawn seeds, so the percentile
  interval of their difference over the resamples is a paired comparison, and two methods tie when it includes
  zero. Overlapping marginal intervals would ignore that the seeds' shared luck moves both scores together, and
  is no test at a stated level (two 95% intervals can overlap while the difference's interval excludes zero).
  A method's rank is then the range the ties allow (``ranking.rank_ranges``); a method without a score (a
  speed-up with no problem in common) is not ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.paired import CONFIDENCE
from reportgen.analysis.ranking import rank_ranges

R_MAX = 4.0
GRID_POINTS = 100  # AlgoPerf's num_points
RESAMPLES = 2000
BOOTSTRAP_SEED = 15  # issue 15; any fixed number makes the intervals reproducible


@dataclass(frozen=True)
class Score:
    """A method's score on all the seeds, with its bootstrap interval."""

    method: str
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class SpeedUp(Score):
    """A geometric-mean speed-up against the reference, and which problems it rests on."""

    both: int  # problems both reach: the geometric mean is over these
    only_method: int  # problems the method reaches and the reference does not
    only_reference: int  # problems the reference reaches and the method does not


@dataclass(frozen=True)
class Place:
    """A method's place in a ranking by a score (higher is better): the range of ranks its ties allow."""

    method: str
    value: float
    best_rank: int
    worst_rank: int
    ties: tuple[str, ...]  # the methods it is not told apart from


def performance_ratios(times) -> np.ndarray:
    """r[..., p, m] = t[..., p, m] / min_m t[..., p, m]; inf where the method, or every method, did not reach."""
    times = np.asarray(times, dtype=float)
    fastest = times.min(axis=-1, keepdims=True)
    reached = np.isfinite(times) & np.isfinite(fastest)
    return np.divide(times, fastest, out=np.full(times.shape, np.inf), where=reached)


def profile(ratios, taus) -> np.ndarray:
    """rho[..., m, i]: the fraction of all problems on which method m's ratio is <= taus[i]."""
    ratios = np.asarray(ratios, dtype=float)
    return (ratios[..., None] <= np.asarray(taus, dtype=float)).mean(axis=-3)


def profile_taus(r_max: float = R_MAX, grid_points: int = GRID_POINTS) -> np.ndarray:
    """AlgoPerf's grid: ``grid_points`` taus from 1 to r_max, equally spaced."""
    return np.linspace(1.0, r_max, grid_points)


def integrated_score(ratios, r_max: float = R_MAX, grid_points: int = GRID_POINTS) -> np.ndarray:
    """B[..., m]: the profile's area from 1 to r_max over r_max - 1, by trapezoids on ``profile_taus``."""
    taus = profile_taus(r_max, grid_points)
    rho = profile(ratios, taus)
    return ((rho[..., 1:] + rho[..., :-1]) / 2 * np.diff(taus)).sum(axis=-1) / (r_max - 1.0)


def reach_counts(times, reference: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per method: problems it and the reference both reach, it alone, the reference alone."""
    reached = np.isfinite(np.asarray(times, dtype=float))
    by_reference = reached[..., reference : reference + 1]
    return (
        (reached & by_reference).sum(axis=-2),
        (reached & ~by_reference).sum(axis=-2),
        (~reached & by_reference).sum(axis=-2),
    )


def speedups(times, reference: int) -> np.ndarray:
    """S[..., m]: the geometric mean of t[p, reference] / t[p, m] over the problems both reach; NaN if none."""
    times = np.asarray(times, dtype=float)
    reference_times = np.broadcast_to(times[..., reference : reference + 1], times.shape)
    both = np.isfinite(times) & np.isfinite(reference_times)
    logs = np.log(np.divide(reference_times, times, out=np.ones(times.shape), where=both))
    count = both.sum(axis=-2)
    mean_log = np.divide(logs.sum(axis=-2), count, out=np.full(count.shape, np.nan), where=count > 0)
    return np.exp(mean_log)


def resampled_medians(times_by_seed, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """(resamples, p, m): medians over seeds redrawn with replacement, one draw per problem for all its methods.

    ``times_by_seed`` is (problems, methods, seeds)."""
    times_by_seed = np.asarray(times_by_seed, dtype=float)
    problems, _, seeds = times_by_seed.shape
    draws = np.random.default_rng(seed).integers(seeds, size=(resamples, problems, 1, seeds))
    return np.median(np.take_along_axis(times_by_seed[None], draws, axis=-1), axis=-1)


def percentile_interval(resampled, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The central ``confidence`` range over axis 0 of the defined (non-NaN) resampled values; NaN where none is."""
    resampled = np.asarray(resampled, dtype=float)
    low, high = np.full(resampled.shape[1:], np.nan), np.full(resampled.shape[1:], np.nan)
    defined = ~np.isnan(resampled).all(axis=0)
    tail = (1.0 - confidence) / 2
    if defined.any():  # numpy's quantile of no columns is not two empty rows
        low[defined], high[defined] = np.nanquantile(resampled[:, defined], [tail, 1.0 - tail], axis=0)
    return low, high


def scores(methods, values, resampled, confidence: float = CONFIDENCE) -> list[Score]:
    """One ``Score`` per method from its value on all seeds and its resampled values (resamples x methods).

    A score without a value on all seeds (a speed-up with no problem in common) has no interval either."""
    low, high = percentile_interval(resampled, confidence)
    defined = ~np.isnan(np.asarray(values, dtype=float))
    low, high = np.where(defined, low, np.nan), np.where(defined, high, np.nan)
    return [Score(method, float(values[m]), float(low[m]), float(high[m])) for m, method in enumerate(methods)]


def speedup_scores(methods, values, resampled, reach: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[SpeedUp]:
    """``scores`` of the speed-ups, each with its ``reach_counts``."""
    both, only_method, only_reference = reach
    return [
        SpeedUp(score.method, score.value, score.low, score.high, int(both[m]), int(only_method[m]), int(only_reference[m]))
        for m, score in enumerate(scores(methods, values, resampled))
    ]


def shown_higher(resampled, confidence: float = CONFIDENCE) -> np.ndarray:
    """[x, y]: the interval of x's score - y's over the paired resamples lies above zero (NaN: not shown)."""
    resampled = np.asarray(resampled, dtype=float)
    low, _ = percentile_interval(resampled[:, :, None] - resampled[:, None, :], confidence)
    return low > 0


def places(methods, values, resampled, confidence: float = CONFIDENCE) -> list[Place]:
    """The ranking by a score, highest first (equal values in the given order), each method with the range of ranks
    and the ties the paired intervals allow. A method without a value is not ranked and not listed: a speed-up with
    no problem in common with the reference says nothing about how fast the method is."""
    values = np.asarray(values, dtype=float)
    ranked = np.flatnonzero(~np.isnan(values))
    higher = shown_higher(np.asarray(resampled, dtype=float)[:, ranked], confidence)
    ranges = rank_ranges(higher)
    order = sorted(range(ranked.size), key=lambda i: (-values[ranked[i]], i))
    return [
        Place(
            method=methods[ranked[i]],
            value=float(values[ranked[i]]),
            best_rank=ranges[i][0],
            worst_rank=ranges[i][1],
            ties=tuple(methods[ranked[j]] for j in order if j != i and not (higher[i, j] or higher[j, i])),
        )
        for i in order
    ]
