"""Learning-rate sweeps: how sensitive is each method to its learning rate (and, for the noise methods, eta)?

A sweep crosses, per method, a log-spaced grid of one hyperparameter with a
list of seeds. Each cell is the experiment with that one hyperparameter of
that one method replaced, trained by the same ``runner.train_one`` on any
executor and stored as an ordinary run file, under a folder named by the hash
of the cell's hyperparameters::

    <experiment>-sweep-<key16>/cells/<method>-<hash12>/runs/<method>--<variant>--<seed>.npz

so a cell is trained once whatever sweep asks for it, and an interrupted
sweep resumes. Each method's preset value is a cell too (tuned vs default).

The sweep is configured by a ``[sweep]`` table in the experiment TOML::

    [sweep]
    methods = ["sgd", "adam"]   # default: every method of the experiment with a learning rate
    lr = "1e-5:1e-1:13"         # LOW:HIGH:POINTS, log-spaced, both ends included; or a list
    eta = "1e-3:1:4"            # optional: also sweep eta of the methods that have one
    seeds = 5                   # the experiment's seeds, then 0, 1, 2, ...; or a list
    [sweep.grids.noise_training]
    lr = "1e-7:1e-3:9"          # optional: a method's own grid

The analysis of a finished sweep is plain data (``SweepAnalysis``) for the
figures and templates: per method and swept hyperparameter, the final cost
of every cell, its status (diverged / no progress / converged), the best
value, the robust range and the tuned-vs-default comparison.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from reportgen import analysis, optimizers, runner
from reportgen.config import Experiment, _did_you_mean
from reportgen.errors import ConfigError, RunError
from reportgen.progress import Progress
from reportgen.results import MethodSpec, RunMetrics
from reportgen.store import ResultStore, cache_key
from reportgen.tasks import RunSpec

SWEPT = ("lr", "eta")  # the hyperparameters a sweep may vary
SWEEP_KEYS = ("methods", "lr", "eta", "seeds", "grids")
MAX_POINTS = 100
MAX_SEEDS = 1000
# Grid values are rounded to this many significant digits, so a cell's name
# does not hang on the last bit numpy's logspace gives on a platform, and the
# values read as written (5.62341e-4, not 5.623413251903491e-4).
SIGNIFICANT_DIGITS = 6
# A run made "no progress" when its final cost is not at least this fraction below its first epoch's.
PROGRESS_FRACTION = 0.10
# The robust range: learning rates whose median final cost is within this fraction of the best,
# or within ROBUST_FLOOR of the best run's first-epoch cost when that is wider: once costs
# fall to 1e-9, "10% of the best" would tell apart fits that are all perfect.
ROBUST_FRACTION = 0.10
ROBUST_FLOOR = 0.01
STATUSES = ("converged", "no progress", "diverged")


# ---------------------------------------------------------------- configuration


def parse_grid(field: str, value: Any) -> tuple[float, ...]:
    """``"LOW:HIGH:POINTS"`` (log-spaced, both ends included) or a list of positive numbers."""
    if isinstance(value, str):
        try:
            low, high, points = value.split(":")
            low, high, points = float(low), float(high), int(points)
        except ValueError:  # a wrong number of parts, or a part that is not a number
            raise ConfigError(f"{field}: {value!r} is not LOW:HIGH:POINTS like 1e-5:1e-1:13") from None
        if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
            raise ConfigError(f"{field}: {value!r}: expected 0 < LOW < HIGH, both finite")
        if not 2 <= points <= MAX_POINTS:
            raise ConfigError(f"{field}: {value!r}: POINTS must be 2 to {MAX_POINTS}")
        values = np.logspace(math.log10(low), math.log10(high), points)
    elif isinstance(value, list) and value:
        if not all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
            raise ConfigError(f"{field}: expected numbers, got {value!r}")
        values = np.array(value, dtype=float)
        if not (np.isfinite(values).all() and (values > 0).all()) or len(values) > MAX_POINTS:
            raise ConfigError(f"{field}: expected 1 to {MAX_POINTS} finite numbers above 0, got {value!r}")
    else:
        raise ConfigError(f"{field}: expected LOW:HIGH:POINTS like \"1e-5:1e-1:13\" or a list of values, got {value!r}")
    rounded = sorted({float(f"{item:.{SIGNIFICANT_DIGITS}g}") for item in values})
    if len(rounded) != len(values):
        raise ConfigError(f"{field}: {value!r} has values that repeat at {SIGNIFICANT_DIGITS} significant digits")
    return tuple(rounded)


def sweep_seeds(field: str, value: Any, experiment_seeds: list[int]) -> tuple[int, ...]:
    """A count N (the experiment's seeds first, then the smallest unused 0, 1, 2, ...) or a list."""
    if isinstance(value, list):
        if not value or not all(isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32 for seed in value):
            raise ConfigError(f"{field}: expected a non-empty list of seeds 0 to 2**32-1, got {value!r}")
        if len(set(value)) != len(value):
            raise ConfigError(f"{field}: seeds repeat: {value}")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEEDS:
        raise ConfigError(f"{field}: expected a number of seeds 1 to {MAX_SEEDS} or a list of seeds, got {value!r}")
    seeds = list(experiment_seeds[:value])
    candidate = 0
    while len(seeds) < value:
        if candidate not in seeds:
            seeds.append(candidate)
        candidate += 1
    return tuple(seeds)


@dataclass(frozen=True)
class Axis:
    """One method's hyperparameter, swept over ``values``; the rest as the experiment sets it."""

    method: MethodSpec  # as configured in the experiment: the default
    parameter: str
    values: tuple[float, ...]

    def with_value(self, value: float) -> MethodSpec:
        return replace(self.method, hyperparams={**self.method.hyperparams, self.parameter: value})


@dataclass(frozen=True)
class Plan:
    experiment: Experiment
    axes: tuple[Axis, ...]
    seeds: tuple[int, ...]

    def specs(self) -> list[RunSpec]:
        """Every run the sweep needs, each once: grid cells and default cells, by seed."""
        template = self.experiment.run_specs()[0]
        methods = {}
        for axis in self.axes:
            for method in (*map(axis.with_value, axis.values), axis.method):
                methods.setdefault(cell_name(method), method)
        return [replace(template, method=method, seed=seed) for method in methods.values() for seed in self.seeds]


def plan(experiment: Experiment, table: dict) -> Plan:
    """Check a ``[sweep]`` table (command-line flags already merged in) against the experiment."""
    if not isinstance(table, dict):
        raise ConfigError(f"sweep: expected a table [sweep], got {table!r}")
    for key in table:
        if key not in SWEEP_KEYS:
            raise ConfigError(f"sweep.{key}: unknown key{_did_you_mean(key, SWEEP_KEYS)}; expected one of {', '.join(SWEEP_KEYS)}")
    if "lr" not in table:
        raise ConfigError("sweep.lr: required: a learning-rate grid like \"1e-5:1e-1:13\" (--lr-grid on the command line)")
    configured = {method.name: method for method in experiment.methods}
    names = table.get("methods", [name for name, method in configured.items() if "lr" in method.hyperparams])
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise ConfigError(f"sweep.methods: expected a non-empty list of method names, got {names!r}")
    for name in names:
        if name not in configured:
            raise ConfigError(f"sweep.methods: {name!r} is not a method of experiment {experiment.name!r}{_did_you_mean(name, configured)}")
        if "lr" not in configured[name].hyperparams:
            raise ConfigError(f"sweep.methods: {name} ({configured[name].variant}) has no learning rate to sweep")
    grids = table.get("grids", {})
    if not isinstance(grids, dict):
        raise ConfigError(f"sweep.grids: expected tables like [sweep.grids.sgd], got {grids!r}")
    for name, own in grids.items():
        if name not in names:
            raise ConfigError(f"sweep.grids.{name}: not a swept method; swept: {', '.join(names)}")
        if not isinstance(own, dict) or not set(own) <= set(SWEPT):
            raise ConfigError(f"sweep.grids.{name}: expected only {' and '.join(SWEPT)} grids, got {own!r}")
    shared = {parameter: parse_grid(f"sweep.{parameter}", table[parameter]) for parameter in SWEPT if parameter in table}
    axes = []
    for name in optimizers.METHODS:  # a-l order
        if name not in names:
            continue
        method, own = configured[name], grids.get(name, {})
        for parameter in SWEPT:
            if parameter in own and parameter not in method.hyperparams:
                raise ConfigError(f"sweep.grids.{name}.{parameter}: {name} has no {parameter}")
            if parameter in own:
                axes.append(Axis(method, parameter, parse_grid(f"sweep.grids.{name}.{parameter}", own[parameter])))
            elif parameter in shared and parameter in method.hyperparams:
                axes.append(Axis(method, parameter, shared[parameter]))
    seeds = sweep_seeds("sweep.seeds", table.get("seeds", len(experiment.seeds)), experiment.seeds)
    return Plan(experiment, tuple(axes), seeds)


def tables(path: Path) -> dict:
    """The top-level tables of a config file that ``config.validate`` passes through (sweep, executor)."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- running


def cell_name(method: MethodSpec) -> str:
    """A cell's folder: the method and a hash of everything that configures it."""
    canonical = json.dumps({"variant": method.variant, **method.hyperparams}, sort_keys=True, separators=(",", ":"))
    return f"{method.name}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def sweep_key(experiment: Experiment, split) -> str:
    """What every cell shares: data, network and training (not the methods, not the seeds)."""
    config = experiment.config
    shared = {"data": config["data"], "network": config["network"], "training": {k: v for k, v in config["training"].items() if k != "seeds"}}
    canonical = json.dumps(shared, sort_keys=True, separators=(",", ":"))
    return cache_key(hashlib.sha256(canonical.encode()).hexdigest(), split.fingerprint)


def directory(store: ResultStore, experiment: Experiment, split) -> Path:
    return store.directory(f"{experiment.name}-sweep", sweep_key(experiment, split))


@dataclass
class SweepRun:
    """What ``run_sweep`` did, for the command line to print."""

    analysis: SweepAnalysis
    trained: int
    reused: int
    seconds: float


def _stored_runs(planned: Plan, store: ResultStore, root: Path) -> dict[tuple[str, int], RunMetrics]:
    runs = {}
    for spec in planned.specs():
        found = store.load_run(root / "cells" / cell_name(spec.method), spec)
        if found is not None:
            runs[cell_name(spec.method), spec.seed] = found
    return runs


def stored(planned: Plan, store: ResultStore) -> SweepAnalysis:
    """The analysis of a sweep from stored cells only; a RunError if any is missing."""
    runs = _stored_runs(planned, store, directory(store, planned.experiment, runner.load_split(planned.experiment)))
    missing = len(planned.specs()) - len(runs)
    if missing:
        raise RunError(f"{planned.experiment.name} sweep: {missing} of {len(planned.specs())} cell runs are not stored in {store.root}; run `reportgen sweep` first")
    return analyse(planned, runs)


def run_sweep(planned: Plan, store: ResultStore, executor, *, force: bool = False, quiet: bool = False) -> SweepRun:
    started = time.monotonic()
    split = runner.load_split(planned.experiment)
    root = directory(store, planned.experiment, split)
    specs = planned.specs()
    runs = {} if force else _stored_runs(planned, store, root)
    reused = len(runs)
    pending = [spec for spec in specs if (cell_name(spec.method), spec.seed) not in runs]
    failures: list[str] = []
    label = f"{planned.experiment.name} sweep ({executor.name}, {executor.workers} worker{'s' * (executor.workers > 1)})"
    progress = Progress(len(pending), label, quiet=quiet)
    try:
        for spec, outcome in executor.run(runner.train_one, pending, split):
            if isinstance(outcome, BaseException):
                failures.append(f"{spec.label} {spec.method.hyperparams}: {type(outcome).__name__}: {outcome}")
            else:
                store.save_run(root / "cells" / cell_name(spec.method), spec, outcome)
                runs[cell_name(spec.method), spec.seed] = outcome
            progress.advance(spec.label)
    finally:
        progress.close()
    if failures:
        raise RunError(f"{planned.experiment.name} sweep: {len(failures)} cell run(s) failed, {len(runs)} kept for the next sweep; first: {failures[0]}")
    return SweepRun(analyse(planned, runs), trained=len(pending), reused=reused, seconds=time.monotonic() - started)


# ---------------------------------------------------------------- analysis


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
    parameter: str  # "lr" or "eta"
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
        curve = metrics.arrays[analysis.COST_METRIC]
        epoch = analysis.divergence_epoch(curve, metrics.diverged_epoch)
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
        return _cell(method.hyperparams[axis.parameter], [runs[cell_name(method), seed] for seed in seeds])

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
        title=optimizers.describe(axis.method.name, axis.method.variant).title,
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


def analyse(planned: Plan, runs: dict[tuple[str, int], RunMetrics]) -> SweepAnalysis:
    experiment = planned.experiment
    return SweepAnalysis(
        experiment=experiment.name,
        variant=experiment.config["variant"],
        seeds=list(planned.seeds),
        epochs=experiment.config["training"]["epochs"],
        cost_metric=analysis.COST_METRIC,
        runs=len(planned.specs()),
        series=[_series(axis, planned.seeds, runs) for axis in planned.axes],
    )
