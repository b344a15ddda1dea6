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


def tuned(experiment: Experiment, planned: sweep_plan.Plan, swept: SweepRun) -> Experiment:
    """The experiment with each method at the learning rate its sweep chose (its own where no cell was finite)."""
    chosen = {series.method: series.best.value for series in swept.analysis.series if series.has_best}
    by_name = {axis.method.name: axis for axis in planned.axes}
    methods = tuple(by_name[m.name].with_value(chosen[m.name]) if m.name in chosen else m for m in experiment.methods)
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
