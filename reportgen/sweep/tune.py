"""Tuning: an experiment's methods at the learning rates a sweep chose, for the suite's runs.

A suite compares methods on each problem at learning rates tuned for that
problem on a stated grid, with the same step budget (the fairness the
popular pictures lack). The tuning is a sweep (``plan`` and ``run``: its
cells stored, so a rerun trains nothing stored) on the ``[tuning]`` table's
grid and seeds, which are other seeds than the experiment's: the runs that are
compared are not the ones the choice was made on. Each method takes the grid
value whose runs reach the lowest median best value of the problem's target
metric (what the suite's scores time: ``problem.target``) over the tuning
seeds (no lower than the problem's least target, where the earlier rate to
reach it wins a tie), a run with none counting as infinite; a method with no
finite value keeps its own. A choice at the grid's smallest or largest value is flagged
(``MethodTuning.at_edge``): the best rate may lie beyond the grid, and the site
says so beside the rate rather than widening the grid behind the reader's back.

::

    [tuning]
    lr = "1e-4:10:11"   # LOW:HIGH:POINTS, log-spaced; or a list
    seeds = [101, 102]  # tuning seeds, none of the experiment's
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from reportgen import problems
from reportgen.errors import ConfigError, RunError
from reportgen.problems import NETWORK_PROBLEM
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep.plan import cell_name
from reportgen.sweep.run import SweepRun, run_sweeps, sweep_jobs
from reportgen.training import methods as method_entries

if TYPE_CHECKING:  # the config is built above this stage and only read here
    from reportgen.config import Experiment

TUNING_KEYS = ("lr", "seeds")


def check(experiment: Experiment, table: dict) -> sweep_plan.Plan:
    """The ``[tuning]`` table as a sweep of every method's learning rate on the tuning seeds."""
    sweep_plan.check_table("tuning", table, TUNING_KEYS)
    for key in TUNING_KEYS:
        if key not in table:
            raise ConfigError(f"tuning.{key}: required (the grid of learning rates, and the seeds they are tried on)")
    seeds = sweep_plan.sweep_seeds("tuning.seeds", table["seeds"], experiment.seeds)
    if shared := sorted(set(seeds) & set(experiment.seeds)):
        raise ConfigError(f"tuning.seeds: {shared} are also the experiment's; tune on other seeds than the compared runs")
    return sweep_plan.plan(experiment, {"lr": table["lr"], "seeds": list(seeds)})


def target_metric(experiment: Experiment) -> tuple[str, float]:
    """What the suite's scores time on the experiment's problem and its least target (the 2018 network: its held-out
    cost, 0)."""
    problem = experiment.config["problem"]
    if problem["name"] == NETWORK_PROBLEM:
        return "test_cost", 0.0
    instance = problems.from_table(problem)
    return instance.target, instance.target_floor


@dataclass(frozen=True)
class MethodTuning:
    """One method's tuning on a problem: the median best target value at each grid value, and the choice."""

    method: str
    values: tuple[float, ...]  # the grid
    medians: tuple[float, ...]  # per grid value: the median over the tuning seeds of each run's best (inf: none finite)
    chosen: float | None  # None: no grid value had a finite median, the method kept its own rate

    @property
    def at_edge(self) -> bool:
        """The choice is the grid's smallest or largest value: the best rate may lie outside the grid."""
        return self.chosen is not None and self.chosen in (self.values[0], self.values[-1])


@dataclass(frozen=True)
class Tuning:
    """What tuning one experiment did: the tuned experiment, each method's tuning and the sweep's counts."""

    experiment: Experiment
    metric: str
    seeds: tuple[int, ...]
    methods: tuple[MethodTuning, ...]
    trained: int
    reused: int
    seconds: float

    def line(self) -> str:
        """One line for the command line: the runs, and each method's rate (* at the grid's edge)."""
        rates = ", ".join(f"{m.method} {m.chosen:g}{'*' if m.at_edge else ''}" for m in self.methods if m.chosen is not None)
        kept = [m.method for m in self.methods if m.chosen is None]
        edge = " (* at the grid's edge)" if any(m.at_edge for m in self.methods) else ""
        return (f"{self.experiment.name} tuning: trained {self.trained} runs, reused {self.reused} in {self.seconds:.1f} s; lr {rates}{edge}"
                + (f"; no finite value, own rate kept: {', '.join(kept)}" if kept else ""))


def method_tuning(axis, seeds, runs: dict, metric: str, floor: float = 0.0) -> MethodTuning:
    """The grid value whose runs reach the lowest median best ``metric`` over the tuning seeds (a run's best: its
    lowest finite value, no lower than ``floor``, the least target the scores use; none: inf). Values tied there,
    as every rate that reaches a known optimum is, go to the one whose runs get there first (the median epoch), then
    to the smaller value; None when no value has a finite median."""
    keys = []
    for value in axis.values:
        bests, firsts = [], []
        for seed in seeds:
            curve = np.maximum(runs[cell_name(axis.with_value(value)), seed].arrays[metric], floor)
            finite = curve[np.isfinite(curve)]
            bests.append(float(finite.min()) if finite.size else math.inf)
            firsts.append(float(np.flatnonzero(curve <= floor)[0]) if (curve <= floor).any() else math.inf)
        keys.append((float(np.median(bests)), float(np.median(firsts))))
    best = min(range(len(keys)), key=lambda index: keys[index])
    chosen = axis.values[best] if math.isfinite(keys[best][0]) else None
    return MethodTuning(axis.method.name, tuple(axis.values), tuple(key[0] for key in keys), chosen)


def tuned(planned: sweep_plan.Plan, swept: SweepRun) -> Tuning:
    """The experiment with each method at the learning rate chosen on its problem's target metric (its own where
    no grid value reached a finite one), and how each was chosen."""
    experiment = planned.experiment
    metric, floor = target_metric(experiment)
    tunings = tuple(method_tuning(axis, planned.seeds, swept.runs, metric, floor) for axis in planned.axes)
    by_name = {axis.method.name: (axis, tuning) for axis, tuning in zip(planned.axes, tunings)}
    methods = tuple(by_name[m.name][0].with_value(by_name[m.name][1].chosen) if m.name in by_name and by_name[m.name][1].chosen is not None else m
                    for m in experiment.methods)
    config = {**experiment.config, "methods": {m.name: method_entries.numeric(m) for m in methods}}
    return Tuning(replace(experiment, methods=methods, config=config), metric, tuple(planned.seeds), tunings, swept.trained, swept.reused, swept.seconds)


def tune_all(experiments: list[Experiment], store, executor, *, quiet: bool = False, only_stored: bool = False) -> tuple[list[Experiment], list[Tuning]]:
    """Each experiment with a ``[tuning]`` table at its tuned learning rates, the others as they are, all the
    tunings' runs in one pool (none with ``only_stored``: a missing run is then a RunError); and each tuning."""
    plans = {experiment.name: check(experiment, experiment.tuning) for experiment in experiments if experiment.tuning}
    if not plans:
        return experiments, []
    if only_stored:
        for planned in plans.values():
            missing = sum(store.load_run(job.directory, job.spec) is None for job in sweep_jobs(planned, store))
            if missing:
                raise RunError(f"{planned.experiment.name} tuning: {missing} runs are not stored in {store.root}; run `reportgen build` first")
    swept = run_sweeps(list(plans.values()), store, executor, quiet=quiet, label=", ".join(plans) + " tuning")
    tunings = {name: tuned(planned, outcome) for (name, planned), outcome in zip(plans.items(), swept)}
    return [tunings[e.name].experiment if e.name in tunings else e for e in experiments], list(tunings.values())
