"""Learning-rate sweeps, what to train: how sensitive is each method to its learning rate (and, for the noise methods, eta)?

A sweep crosses, per method, a log-spaced grid of one hyperparameter with a
list of seeds. Every entry of the experiment can be swept, built-in, alias or
plugin, in the experiment's order. A scheduled method's learning rate is the
schedule's base: every lr it sets scales with it, onecycle's peak too while
``max_lr`` is unset. A onecycle schedule that sets ``max_lr`` ignores the
method's lr (OneCycleLR starts at max_lr / div_factor whatever the lr), so
its lr grid sweeps ``max_lr`` instead: the peak, the lr that matters. Each
cell is the experiment with that one hyperparameter of that one method replaced; each method's preset value is a cell too (tuned vs
default). ``reportgen.sweep.run`` trains the cells as ordinary runs.

The sweep is configured by a ``[sweep]`` table in the experiment TOML::

    [sweep]
    methods = ["sgd", "adam"]   # default: every method entry of the experiment with a learning rate
    lr = "1e-5:1e-1:13"         # LOW:HIGH:POINTS, log-spaced, both ends included; or a list
    eta = "1e-3:1:4"            # optional: also sweep eta of the methods that have one
    seeds = 5                   # the experiment's seeds, then 0, 1, 2, ...; or a list
    [sweep.grids.noise_training]
    lr = "1e-7:1e-3:9"          # optional: a method's own grid
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from reportgen.errors import ConfigError, did_you_mean
from reportgen.training import methods as method_entries
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import RunSpec

if TYPE_CHECKING:  # the config is built above this stage and only read here
    from reportgen.config import Experiment

SWEPT = ("lr", "eta")  # the hyperparameters a sweep may vary


SWEEP_KEYS = ("methods", "lr", "eta", "seeds", "grids")


MAX_POINTS = 100


MAX_SEEDS = 1000


# Grid values are rounded to this many significant digits, so a cell's name
# does not hang on the last bit numpy's logspace gives on a platform, and the
# values read as written (5.62341e-4, not 5.623413251903491e-4).
GRID_DIGITS = 6


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
    rounded = sorted({float(f"{item:.{GRID_DIGITS}g}") for item in values})
    if len(rounded) != len(values):
        raise ConfigError(f"{field}: {value!r} has values that repeat at {GRID_DIGITS} significant digits")
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


PEAK = "max_lr"  # what an lr grid sweeps in a onecycle schedule that sets its own peak


def swept_as(method: MethodSpec, parameter: str) -> str:
    """What a grid of ``parameter`` (one of SWEPT) varies in ``method``: the parameter itself, or onecycle's max_lr."""
    schedule = method.schedule or {}
    return PEAK if parameter == "lr" and schedule.get("kind") == "onecycle" and schedule.get(PEAK) is not None else parameter


@dataclass(frozen=True)
class Axis:
    """One method's hyperparameter (or its onecycle schedule's max_lr), swept over ``values``; the rest as the experiment sets it."""

    method: MethodSpec  # as configured in the experiment: the default
    parameter: str  # "lr", "eta" or PEAK
    values: tuple[float, ...]

    def with_value(self, value: float) -> MethodSpec:
        if self.parameter == PEAK:
            return replace(self.method, schedule={**self.method.schedule, PEAK: value})
        return replace(self.method, hyperparams={**self.method.hyperparams, self.parameter: value})

    def value_of(self, method: MethodSpec) -> float:
        return method.schedule[PEAK] if self.parameter == PEAK else method.hyperparams[self.parameter]


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


def check_table(name: str, table, allowed: tuple[str, ...]) -> None:
    """A ``[name]`` table of the experiment file (a sweep's, an ablation's): a table, with only ``allowed`` keys."""
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table [{name}], got {table!r}")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{name}.{key}: unknown key{did_you_mean(key, allowed)}; expected one of {', '.join(allowed)}")


def plan(experiment: Experiment, table: dict) -> Plan:
    """Check a ``[sweep]`` table (command-line flags already merged in) against the experiment."""
    check_table("sweep", table, SWEEP_KEYS)
    if "lr" not in table:
        raise ConfigError("sweep.lr: required: a learning-rate grid like \"1e-5:1e-1:13\" (--lr-grid on the command line)")
    configured = {method.name: method for method in experiment.methods}
    names = table.get("methods", [name for name, method in configured.items() if "lr" in method.hyperparams])
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise ConfigError(f"sweep.methods: expected a non-empty list of method names, got {names!r}")
    for name in names:
        if name not in configured:
            raise ConfigError(f"sweep.methods: {name!r} is not a method of experiment {experiment.name!r}{did_you_mean(name, configured)}")
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
    for name, method in configured.items():  # the experiment's order: built-ins by letter, then its own entries
        if name not in names:
            continue
        own = grids.get(name, {})
        for parameter in SWEPT:
            if parameter in own and parameter not in method.hyperparams:
                raise ConfigError(f"sweep.grids.{name}.{parameter}: {name} has no {parameter}")
            if parameter in own:
                axes.append(Axis(method, swept_as(method, parameter), parse_grid(f"sweep.grids.{name}.{parameter}", own[parameter])))
            elif parameter in shared and parameter in method.hyperparams:
                axes.append(Axis(method, swept_as(method, parameter), shared[parameter]))
    seeds = sweep_seeds("sweep.seeds", table.get("seeds", len(experiment.seeds)), experiment.seeds)
    return Plan(experiment, tuple(axes), seeds)


def cell_name(method: MethodSpec) -> str:
    """A cell's folder: the method and a hash of everything that decides its numbers (a built-in's without a schedule:
    its variant and hyperparameters, as before aliases, plugins and schedules, so stored cells keep their folders)."""
    canonical = json.dumps(method_entries.numeric(method), sort_keys=True, separators=(",", ":"))
    return f"{method.name}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"
