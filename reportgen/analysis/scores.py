"""Times to a target on each problem of a suite, and the scores across problems built on them (issue 15, section 2).

The input is one ``Run`` per (problem, method, seed): the problem's target metric after each epoch, as a run's
record keeps it (lower is better: a cost, a distance to the optimum), the problem's steps per epoch (1 for a
synthetic problem by default, so its curve is the path step by step) and the measured seconds per step. The
methods' hyperparameters are already tuned and the runs are those of the tuned settings, one per seed (AlgoPerf's
external tuning instead times, in each of its studies, the fastest of five tuning trials). The rules:

1. Values. A non-finite value (NaN or inf after a divergence) is no value: it neither sets nor reaches a target.
2. Target per problem (AlgoPerf's rule, mlcommons/algorithmic-efficiency docs/DOCUMENTATION.md, "Defining target
   performance"): what a baseline run "reaches within the budget" is the best (lowest) value of its curve over all
   its epochs; per baseline (SGD with momentum and Adam) the median of that over the seeds; the target is the lower
   of the baselines' medians, and that baseline sets it. (AlgoPerf picks its target-setting algorithm by its best
   tuning trial before rerunning it over seeds; with the runs already tuned, the medians pick it here.) With an even number of seeds the median is the upper of
   the two middle values: AlgoPerf's mean of the two is reached by only half of its own runs (its documentation
   says so: "Out of the 10 repeated runs that achieved this validation target"), and by rule 4 the baseline that
   set the target would then not reach it. A problem where neither baseline has a finite median has no target
   (inf), and no run reaches it.
3. Time to target per run: the first epoch whose value is <= the target, counted from 1 (the curve's first value is
   after epoch 1); steps = epochs x the problem's steps per epoch; seconds = steps x the run's measured seconds per
   step. A run that never gets there has time +inf ("did not reach"). A run that gets there and diverges later
   keeps the time it first got there, as AlgoPerf times the first evaluation at the target (its evaluations are
   periodic too, so a time is known to the evaluation, not to the step).
4. Per problem and method: the median over seeds with "did not reach" as +inf (numpy's median, AlgoPerf's too):
   finite exactly when more than half the seeds reached; for an even number of seeds the mean of the two middle
   times, +inf if one of them is. Its interval is made of order statistics, [t_(k), t_(n+1-k)] with the exact,
   distribution-free coverage of ``paired.interval_rank``: it needs no arithmetic on +inf ("did not reach" is the
   largest time and may be a bound), no random numbers, and a bootstrap of five seeds could only pick among the
   same five values with an unknown coverage. Below ``paired.MIN_PAIRS`` seeds no interval covers 95%, and the
   widest, [fastest seed, slowest seed], is given with the coverage it has (93.75% for five seeds).
5. Scores across problems: the medians in one unit (steps, epochs or seconds) feed ``profiles``: ratios, profiles,
   the integrated score, the speed-up against SGD, their seed-bootstrap intervals (the targets held fixed, as a
   benchmark's targets are) and the rankings with ties.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis import profiles
from reportgen.analysis.paired import CONFIDENCE, interval_rank
from reportgen.analysis.profiles import Place, Score, SpeedUp
from reportgen.errors import ConfigError, did_you_mean

BASELINES = ("momentum", "adam")  # SGD with momentum and Adam: the target-setting baselines
REFERENCE = "sgd"  # the speed-ups are against plain SGD
UNITS = ("steps", "epochs", "seconds")


@dataclass(frozen=True, eq=False)
class Run:
    """One run of a tuned method on a problem."""

    problem: str
    method: str
    seed: int
    curve: np.ndarray  # the problem's target metric after each epoch, lower is better
    seconds_per_step: float  # measured for this run; NaN when it was not (its times in seconds are then NaN)
    steps_per_epoch: float  # the problem's; the same in all its runs


@dataclass(frozen=True)
class Target:
    """A problem's target value of its metric (rule 2)."""

    problem: str
    value: float  # inf: the problem has no target (rule 2)
    baseline: str  # the baseline whose median best set it
    baseline_bests: tuple[float, ...]  # each baseline's median best value, in the order of the baselines
    floor: float = 0.0  # the problem's least target: the value is never below it (a known optimum reached exactly)


@dataclass(frozen=True)
class Time:
    """A median over seeds of the time to target, with its order-statistic interval; inf: did not reach."""

    median: float
    low: float
    high: float


@dataclass(frozen=True)
class ProblemRow:
    """One line of the raw per-problem table."""

    problem: str
    method: str
    seeds: int
    reached: int  # seeds that reached the target
    steps: Time
    epochs: Time
    seconds: Time
    coverage: float  # of each of the three intervals (the same order statistics)


@dataclass(frozen=True, eq=False)
class SuiteScores:
    """The scores of every method across the problems, from its median times in ``unit``."""

    unit: str
    problems: tuple[str, ...]
    methods: tuple[str, ...]
    targets: tuple[Target, ...]
    table: tuple[ProblemRow, ...]  # problem by problem, each with its methods
    ratios: np.ndarray  # problems x methods
    taus: np.ndarray  # the profile's grid
    profiles: np.ndarray  # methods x taus
    profiles_low: np.ndarray  # the profiles' bootstrap band, methods x taus
    profiles_high: np.ndarray
    integrated: tuple[Score, ...]
    speedups: tuple[SpeedUp, ...]
    integrated_places: tuple[Place, ...]  # the ranking by integrated score, ties declared
    speedup_places: tuple[Place, ...]  # without the methods that have no speed-up (no problem in common with the reference)


def best_value(curve) -> float:
    """The lowest finite value of a curve; inf when it has none."""
    curve = np.asarray(curve, dtype=float)
    finite = curve[np.isfinite(curve)]
    return float(finite.min()) if finite.size else np.inf


def upper_median(values) -> float:
    """The middle value, the upper of the two middle ones for an even count (rule 2)."""
    values = np.sort(np.asarray(values, dtype=float))
    return float(values[values.size // 2])


def target(problem: str, bests_by_baseline, baselines=BASELINES, floor: float = 0.0) -> Target:
    """The target from each baseline's best values over its seeds (baselines x seeds), raised to ``floor``: on a
    problem with a known optimum a baseline may reach it exactly, and a target no other run can meet ranks nothing."""
    medians = tuple(upper_median(bests) for bests in bests_by_baseline)
    setter = int(np.argmin(medians))
    return Target(problem, max(medians[setter], floor), baselines[setter], medians, floor)


def epochs_to_target(curve, target_value: float) -> float:
    """The first epoch (from 1) whose value is <= the target; inf when none is, or when there is no target."""
    if not np.isfinite(target_value):
        return np.inf
    curve = np.asarray(curve, dtype=float)
    reached = np.flatnonzero(np.isfinite(curve) & (curve <= target_value))
    return float(reached[0] + 1) if reached.size else np.inf


def median_time(times, confidence: float = CONFIDENCE) -> tuple[Time, float]:
    """The median over seeds (+inf: did not reach) with its order-statistic interval, and that interval's coverage."""
    times = np.sort(np.asarray(times, dtype=float))
    count = times.size
    k, coverage = interval_rank(count, confidence)
    if not k:  # too few seeds for the confidence: the widest interval, with the coverage it has
        k, coverage = 1, 1.0 - 2.0 / 2**count
    return Time(float(np.median(times)), float(times[k - 1]), float(times[count - k])), coverage


def _grid(runs) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Problems, methods (both sorted) and the runs as a problems x methods x seeds array, seeds in increasing order."""
    by_key = {}
    for run in runs:
        key = (run.problem, run.method, run.seed)
        if key in by_key:
            raise ValueError(f"two runs of {key}")
        measured = math.isnan(run.seconds_per_step) or (math.isfinite(run.seconds_per_step) and run.seconds_per_step > 0)
        if not (measured and math.isfinite(run.steps_per_epoch) and run.steps_per_epoch > 0):
            raise ValueError(f"{key}: seconds per step (NaN: not measured) and steps per epoch must be finite numbers > 0")
        by_key[key] = run
    if not by_key:
        raise ValueError("no runs to score")
    problems = tuple(sorted({problem for problem, _, _ in by_key}))
    methods = tuple(sorted({method for _, method, _ in by_key}))
    seeds = {problem: sorted({seed for other, _, seed in by_key if other == problem}) for problem in problems}
    if len({len(problem_seeds) for problem_seeds in seeds.values()}) > 1:
        raise ValueError(f"every problem needs as many seeds: {({problem: len(seeds[problem]) for problem in problems})}")
    missing = [(problem, method, seed) for problem in problems for method in methods for seed in seeds[problem] if (problem, method, seed) not in by_key]
    if missing:
        raise ValueError(f"every method needs a run with every seed on every problem; missing: {missing[:3]}")
    grid = np.empty((len(problems), len(methods), len(seeds[problems[0]])), dtype=object)
    for (p, problem), (m, method) in itertools.product(enumerate(problems), enumerate(methods)):
        for s, seed in enumerate(seeds[problem]):
            grid[p, m, s] = by_key[problem, method, seed]
    return problems, methods, grid


def _position(name: str, methods: tuple[str, ...], role: str) -> int:
    if name not in methods:
        raise ConfigError(f"scores: the {role} {name!r} is not among the suite's methods{did_you_mean(name, methods)}")
    return methods.index(name)


def _steps_per_epoch(runs) -> float:
    values = {run.steps_per_epoch for run in runs}
    if len(values) != 1:
        raise ValueError(f"{runs[0].problem}: its runs disagree on the steps per epoch: {sorted(values)}")
    return values.pop()


def times_by_unit(runs, baselines=BASELINES, floors: dict | None = None) -> tuple[tuple[str, ...], tuple[str, ...], list[Target], dict[str, np.ndarray]]:
    """Problems, methods, the targets (each at least its problem's entry in ``floors``) and, per unit, each run's
    time to target (problems x methods x seeds)."""
    problems, methods, grid = _grid(runs)
    baseline_positions = [_position(name, methods, "baseline") for name in baselines]
    targets = [
        target(problem, [[best_value(run.curve) for run in grid[p, b]] for b in baseline_positions], baselines, (floors or {}).get(problem, 0.0))
        for p, problem in enumerate(problems)
    ]
    epochs = np.array([[[epochs_to_target(run.curve, targets[p].value) for run in cell] for cell in row] for p, row in enumerate(grid)])
    per_step = np.array([[[run.seconds_per_step for run in cell] for cell in row] for row in grid])
    steps = epochs * np.array([_steps_per_epoch(list(row.ravel())) for row in grid])[:, None, None]
    return problems, methods, targets, {"steps": steps, "epochs": epochs, "seconds": steps * per_step}


def problem_table(problems, methods, times: dict[str, np.ndarray]) -> list[ProblemRow]:
    """The raw per-problem table: every method's median times in all three units, with their intervals."""
    table = []
    for p, problem in enumerate(problems):
        for m, method in enumerate(methods):
            (steps, coverage), (epochs, _), (seconds, _) = (median_time(times[unit][p, m]) for unit in UNITS)
            seeds = times["steps"][p, m]
            table.append(ProblemRow(problem, method, seeds.size, int(np.isfinite(seeds).sum()), steps, epochs, seconds, coverage))
    return table


def score_suite(
    runs, unit: str = "steps", baselines=BASELINES, reference: str = REFERENCE, resamples: int = profiles.RESAMPLES, floors: dict | None = None
) -> SuiteScores:
    """Targets, the raw table and every score across problems, the ratios from the median times in ``unit``."""
    if unit not in UNITS:
        raise ConfigError(f"scores: unit must be one of {', '.join(UNITS)}, not {unit!r}{did_you_mean(unit, UNITS)}")
    problems, methods, targets, times = times_by_unit(runs, baselines, floors)
    reference_position = _position(reference, methods, "reference")
    medians = np.median(times[unit], axis=-1)
    resampled = profiles.resampled_medians(times[unit], resamples)
    ratios, resampled_ratios = profiles.performance_ratios(medians), profiles.performance_ratios(resampled)
    taus = profiles.profile_taus()
    band_low, band_high = profiles.percentile_interval(profiles.profile(resampled_ratios, taus))
    integrated, resampled_integrated = profiles.integrated_score(ratios), profiles.integrated_score(resampled_ratios)
    speedups, resampled_speedups = (profiles.speedups(times, reference_position) for times in (medians, resampled))
    reach = profiles.reach_counts(medians, reference_position)
    return SuiteScores(
        unit=unit,
        problems=problems,
        methods=methods,
        targets=tuple(targets),
        table=tuple(problem_table(problems, methods, times)),
        ratios=ratios,
        taus=taus,
        profiles=profiles.profile(ratios, taus),
        profiles_low=band_low,
        profiles_high=band_high,
        integrated=tuple(profiles.scores(methods, integrated, resampled_integrated)),
        speedups=tuple(profiles.speedup_scores(methods, speedups, resampled_speedups, reach)),
        integrated_places=tuple(profiles.places(methods, integrated, resampled_integrated)),
        speedup_places=tuple(profiles.places(methods, speedups, resampled_speedups)),
    )
