"""Tuning: an experiment's methods at the learning rates a sweep chose, for the suite's runs.

A suite compares methods on each problem at learning rates tuned for that
problem on a stated grid, with the same step budget (the fairness the
popular pictures lack). The tuning is a sweep (``plan`` and ``run``: its
cells stored, so a rerun trains nothing stored) on the ``[tuning]`` table's
grid and seeds, which are other seeds than the experiment's: the runs that are
compared are not the ones the choice was made on. Each method takes the grid
value whose runs reach the lowest median best value of the problem's target
metric (what the suite's scores time: ``problem.target``) over the tuning
seeds, a run with none counting as infinite; a method with no finite value
keeps its own.

::

    [tuning]
    lr = "1e-4:1:9"     # LOW:HIGH:POINTS, log-spaced; or a list
    seeds = [101, 102]  # tuning seeds, none of the experiment's
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from reportgen import problems
from reportgen.errors import ConfigError
from reportgen.problems import NETWORK_PROBLEM
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep.plan import cell_name
from reportgen.sweep.run import SweepRun, run_sweeps
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


def target_metric(experiment: Experiment) -> str:
    """What the suite's scores time on the experiment's problem (the 2018 network: its held-out cost)."""
    problem = experiment.config["problem"]
    return "test_cost" if problem["name"] == NETWORK_PROBLEM else problems.from_table(problem).target


def choice(axis, seeds, runs: dict, metric: str) -> float | None:
    """The grid value whose runs reach the lowest median best ``metric`` over the tuning seeds (a run's best: its
    lowest finite value; none: inf), the smaller value on a tie; None when no value has a finite median."""
    medians = []
    for value in axis.values:
        bests = []
        for seed in seeds:
            curve = runs[cell_name(axis.with_value(value)), seed].arrays[metric]
            finite = curve[np.isfinite(curve)]
            bests.append(float(finite.min()) if finite.size else math.inf)
        medians.append(float(np.median(bests)))
    best = int(np.argmin(medians))
    return axis.values[best] if math.isfinite(medians[best]) else None


def tuned(experiment: Experiment, planned: sweep_plan.Plan, swept: SweepRun) -> Experiment:
    """The experiment with each method at the learning rate chosen on its problem's target metric (its own where
    no grid value reached a finite one)."""
    metric = target_metric(experiment)
    chosen = {axis.method.name: choice(axis, planned.seeds, swept.runs, metric) for axis in planned.axes}
    by_name = {axis.method.name: axis for axis in planned.axes}
    methods = tuple(by_name[m.name].with_value(chosen[m.name]) if chosen.get(m.name) is not None else m for m in experiment.methods)
    config = {**experiment.config, "methods": {m.name: method_entries.numeric(m) for m in methods}}
    return replace(experiment, methods=methods, config=config)


def tune(experiment: Experiment, table: dict, store, executor, *, quiet: bool = False) -> tuple[Experiment, SweepRun]:
    """The experiment with each method at its tuned learning rate, and the sweep that chose it."""
    planned = check(experiment, table)
    (swept,) = run_sweeps([planned], store, executor, quiet=quiet, label=f"{experiment.name} tuning")
    return tuned(experiment, planned, swept), swept


def tune_all(experiments: list[Experiment], store, executor, *, quiet: bool = False) -> tuple[list[Experiment], list[str]]:
    """Each experiment with a ``[tuning]`` table at its tuned learning rates, the others as they are, all the
    tunings' runs in one pool; and a line per tuning."""
    plans = {experiment.name: check(experiment, experiment.tuning) for experiment in experiments if experiment.tuning}
    if not plans:
        return experiments, []
    swept = dict(zip(plans, run_sweeps(list(plans.values()), store, executor, quiet=quiet, label=", ".join(plans) + " tuning")))
    result, lines = [], []
    for experiment in experiments:
        if experiment.name in plans:
            experiment = tuned(experiment, plans[experiment.name], swept[experiment.name])
            chosen = ", ".join(f"{method.name} {method.hyperparams['lr']:g}" for method in experiment.methods if "lr" in method.hyperparams)
            outcome = swept[experiment.name]
            lines.append(f"{experiment.name} tuning: trained {outcome.trained} runs, reused {outcome.reused} in {outcome.seconds:.1f} s; lr {chosen}")
        result.append(experiment)
    return result, lines
