"""Tuning: an experiment's methods at the learning rates a sweep chose, for the suite's runs.

A suite compares methods on each problem at learning rates tuned for that
problem on a stated grid, with the same step budget (the fairness the
popular pictures lack). The tuning is a sweep (``plan`` and ``run``: its
cells stored, so a rerun trains nothing stored) on the ``[tuning]`` table's
grid and seeds, which are other seeds than the experiment's: the runs that are
compared are not the ones the choice was made on. Each method takes the grid
value whose median final cost over the tuning seeds is lowest, diverged runs
counting as infinite (``analysis.Series.best``); a method with no finite cell
keeps its own value, and the sweep's analysis says so.

::

    [tuning]
    lr = "1e-4:1:9"     # LOW:HIGH:POINTS, log-spaced; or a list
    seeds = [101, 102]  # tuning seeds, none of the experiment's
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reportgen.errors import ConfigError
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep.run import SweepRun, run_sweep
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


def tune(experiment: Experiment, table: dict, store, executor, *, quiet: bool = False) -> tuple[Experiment, SweepRun]:
    """The experiment with each method at its tuned learning rate, and the sweep that chose it."""
    planned = check(experiment, table)
    swept = run_sweep(planned, store, executor, quiet=quiet)
    chosen = {series.method: series.best.value for series in swept.analysis.series if series.has_best}
    by_name = {axis.method.name: axis for axis in planned.axes}
    tuned = tuple(by_name[m.name].with_value(chosen[m.name]) if m.name in chosen else m for m in experiment.methods)
    config = {**experiment.config, "methods": {m.name: method_entries.numeric(m) for m in tuned}}
    return replace(experiment, methods=tuned, config=config), swept


def tune_all(experiments: list[Experiment], store, executor, *, quiet: bool = False) -> tuple[list[Experiment], list[str]]:
    """Each experiment with a ``[tuning]`` table at its tuned learning rates, the others as they are; and a line per tuning."""
    tuned, lines = [], []
    for experiment in experiments:
        if experiment.tuning:
            experiment, swept = tune(experiment, experiment.tuning, store, executor, quiet=quiet)
            chosen = ", ".join(f"{method.name} {method.hyperparams['lr']:g}" for method in experiment.methods if "lr" in method.hyperparams)
            lines.append(f"{experiment.name} tuning: trained {swept.trained} runs, reused {swept.reused} in {swept.seconds:.1f} s; lr {chosen}")
        tuned.append(experiment)
    return tuned, lines
