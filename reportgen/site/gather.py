"""A suite's results as plain data: each problem's runs, targets and tuning, each method's results across problems,
and the scores across both (``reportgen.analysis.scores``), for the site's pages and data files.

The time a method takes per step is its measurement against SGD in one process (``reportgen.training.step_cost``)
where the build made one, otherwise the median over its runs of an epoch's seconds over its steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen import problems
from reportgen.analysis import scores
from reportgen.analysis.scores import ProblemRow, SuiteScores, Target
from reportgen.problems import NETWORK_PROBLEM
from reportgen.problems.table import problem_steps
from reportgen.training import methods as method_entries
from reportgen.training.results import MethodSpec, ResultSet

if TYPE_CHECKING:  # the config is built above this stage and only read here
    from reportgen.config import Experiment
    from reportgen.sweep.tune import Tuning

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

    @property
    def instance(self):
        """The problem itself (None for the 2018 network, which ``reportgen.model`` defines)."""
        problem = self.experiment.config["problem"]
        return None if problem["name"] == NETWORK_PROBLEM else problems.from_table(problem)

    def lr(self, method: str) -> float | None:
        return self.result_set.methods[self.result_set.method_index(method)].hyperparams.get("lr")

    def at_edge(self, method: str) -> bool:
        return self.tuning is not None and any(m.method == method and m.at_edge for m in self.tuning.methods)


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    problems: tuple[ProblemRuns, ...]
    methods: tuple[MethodSpec, ...]  # as the first problem configures them, lr aside
    scores: SuiteScores  # in steps
    step_costs: dict  # (problem, method) -> reportgen.training.step_cost.MethodCost; empty when none was measured
    seeds: tuple[int, ...]

    def title(self, method: str) -> str:
        """"g. Adam": how a sentence names a method."""
        spec = next(spec for spec in self.methods if spec.name == method)
        return f"{spec.letter}. {method_entries.info(spec).title}"

    def problem(self, name: str) -> ProblemRuns:
        return next(problem for problem in self.problems if problem.name == name)

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


def gather(experiments: list[Experiment], result_sets: list[ResultSet], tunings: list[Tuning], step_costs: dict | None = None) -> Suite:
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
    )
