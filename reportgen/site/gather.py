"""A suite's results as plain data: each problem's runs, targets and tuning, each method's results across problems,
and the scores across both (``reportgen.analysis.scores``), for the site's pages and data files.

The time a method takes per step is its measurement against SGD in one process (``reportgen.training.step_cost``)
where the build made one, otherwise the median over its runs of an epoch's seconds over its steps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen import problems
from reportgen.analysis import scores
from reportgen.analysis.profiles import Place, Score, SpeedUp
from reportgen.analysis.scores import ProblemRow, SuiteScores, Target
from reportgen.problems import NETWORK_PROBLEM
from reportgen.problems.table import problem_steps
from reportgen.training import methods as method_entries
from reportgen.training.results import MethodSpec, ResultSet

if TYPE_CHECKING:  # the config is built above this stage and only read here
    from reportgen.config import Experiment
    from reportgen.sweep.tune import MethodTuning, Tuning

NETWORK_TITLE = "The 2018 network, 784-256-128-1 (elu, tanh, sigmoid), on MNIST zeros and ones"
METRIC_WORDS = {  # how a page names a target metric
    "test_cost": "held-out cost",
    "suboptimality": "f \u2212 f*",
    "distance": "distance to the optimum",
    "train_cost_mean": "training cost",
}


@dataclass(frozen=True)
class ProblemRuns:
    """One problem of the suite: its experiment's tuned runs and how they were tuned."""

    name: str
    title: str
    experiment: Experiment
    result_set: ResultSet
    tuning: Tuning | None
    metric: str  # what the scores time: the problem's target metric
    floor: float  # the least target (scores.Target.floor)
    steps_per_epoch: int

    @property
    def methods(self) -> list[MethodSpec]:
        return self.result_set.methods

    @property
    def curves(self) -> np.ndarray:
        """The target metric, (methods, seeds, epochs)."""
        return self.result_set.arrays[self.metric]

    @functools.cached_property  # asked by every figure and table; a plugin's problem is checked each time it is made
    def instance(self):
        """The problem itself (None for the 2018 network, which ``reportgen.model`` defines)."""
        problem = self.experiment.config["problem"]
        return None if problem["name"] == NETWORK_PROBLEM else problems.from_table(problem)

    def tuned(self, method: str) -> MethodTuning | None:
        """How the method's rate was chosen on this problem; None when it was not tuned here."""
        return next((m for m in self.tuning.methods if m.method == method), None) if self.tuning else None

    def lr(self, method: str) -> float | None:
        """The learning rate its runs used (the tuned one, or its own where tuning found none)."""
        return self.result_set.methods[self.result_set.method_index(method)].hyperparams.get("lr")

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The problem's own metrics, as the result set stores them (the 2018 network: its cost and accuracy)."""
        own = self.instance.metrics if self.instance is not None else ("train_cost_mean", "test_cost", "test_accuracy")
        return tuple(name for name in own if name in self.result_set.arrays)

    @property
    def deterministic(self) -> bool:
        """Every seed gave every method the same curve: a problem without noise, started at one point."""
        curves = self.curves
        return bool(np.all([np.array_equal(curves[:, 0], curves[:, s], equal_nan=True) for s in range(1, curves.shape[1])]))


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    problems: tuple[ProblemRuns, ...]
    methods: tuple[MethodSpec, ...]  # as the first problem configures them, lr aside
    scores: SuiteScores  # in steps
    step_costs: dict  # (problem, method) -> reportgen.training.step_cost.MethodCost; empty when none was measured
    seeds: tuple[int, ...]
    measured_on: str = ""  # the machines the step costs were measured on

    def title(self, method: str) -> str:
        """"g. Adam": how a sentence names a method."""
        spec = next(spec for spec in self.methods if spec.name == method)
        return f"{spec.letter}. {method_entries.info(spec).title}"

    def short_title(self, method: str) -> str:
        """"Adam": how a table or a legend names it beside its letter."""
        return self.title(method).split(". ", 1)[1]

    def scored(self, method: str) -> tuple[Score, Place, SpeedUp, Place | None]:
        """Its integrated score and place, its speed-up against SGD and place (None: no speed-up to rank)."""
        result = self.scores
        pick = lambda items: next((item for item in items if item.method == method), None)  # noqa: E731
        return pick(result.integrated), pick(result.integrated_places), pick(result.speedups), pick(result.speedup_places)

    def reached(self, method: str) -> int:
        """The problems on which more than half its seeds reach the target."""
        return sum(self.row(problem.name, method).steps.median < np.inf for problem in self.problems)

    def step_cost(self, method: str) -> tuple[float | None, int]:
        """Its step's time over SGD's: the median over the problems where it was measured and finite, and their count."""
        ratios = [cost.ratio for (_, name), cost in self.step_costs.items() if name == method and math.isfinite(cost.ratio)]
        return (float(np.median(ratios)) if ratios else None), len(ratios)

    def row(self, problem: str, method: str) -> ProblemRow:
        return next(row for row in self.scores.table if row.problem == problem and row.method == method)

    def target(self, problem: str) -> Target:
        return self.scores.targets[self.scores.problems.index(problem)]


def problem_runs(experiment: Experiment, result_set: ResultSet, tuning: Tuning | None) -> ProblemRuns:
    problem, training, data = experiment.config["problem"], experiment.config["training"], experiment.config["data"]
    if problem["name"] == NETWORK_PROBLEM:
        return ProblemRuns(NETWORK_PROBLEM, NETWORK_TITLE, experiment, result_set, tuning, "test_cost", 0.0, -(-data["n_train"] // training["batch_size"]))
    instance = problems.from_table(problem)
    steps = problem_steps(problem, data, training["batch_size"])
    return ProblemRuns(problem["name"], instance.title, experiment, result_set, tuning, instance.target, instance.target_floor, steps)


def seconds_per_step(problem: ProblemRuns, method: int, step_costs: dict) -> float:
    """The in-process measurement where there is one, else the runs' median epoch seconds over the steps per epoch;
    NaN when the runs recorded no timings."""
    name = problem.methods[method].name
    if (problem.name, name) in step_costs:
        return step_costs[problem.name, name].seconds
    seconds = problem.result_set.arrays["epoch_seconds"][method]
    median = float(np.nanmedian(seconds)) / problem.steps_per_epoch
    return median if median > 0 else math.nan


def runs(problem: ProblemRuns, step_costs: dict) -> list[scores.Run]:
    return [
        scores.Run(problem.name, spec.name, seed, problem.curves[m, s], seconds_per_step(problem, m, step_costs), problem.steps_per_epoch)
        for m, spec in enumerate(problem.methods)
        for s, seed in enumerate(problem.result_set.seeds)
    ]


def gather(experiments: list[Experiment], result_sets: list[ResultSet], tunings: list[Tuning], step_costs: dict | None = None, measured_on: str = "") -> Suite:
    """The suite of ``experiments`` (one per problem) from their tuned result sets and tunings."""
    by_name = {tuning.experiment.name: tuning for tuning in tunings}
    shown = [problem_runs(e, r, by_name.get(e.name)) for e, r in zip(experiments, result_sets)]
    step_costs = step_costs or {}
    everything = [run for problem in shown for run in runs(problem, step_costs)]
    floors = {problem.name: problem.floor for problem in shown}
    first = experiments[0]
    return Suite(
        name=first.suite or first.name,
        description=first.description,
        problems=tuple(shown),
        methods=tuple(first.methods),
        scores=scores.score_suite(everything, "steps", floors=floors),
        step_costs=step_costs,
        seeds=tuple(result_sets[0].seeds),
        measured_on=measured_on,
    )
