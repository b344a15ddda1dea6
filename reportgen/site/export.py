"""The site's data files, from which every number its pages state can be recomputed (tests/test_site.py does):

    data/runs.csv     every compared run: its problem, method, seed, learning rate, best value and time to target
    data/curves.csv   every compared run's target metric after each epoch
    data/targets.csv  per problem: the metric timed, the target, the baseline that set it, its floor, the budget
    data/scores.csv   per method: the integrated score, the speed-up against SGD, the step cost, with intervals and ranks
    data/tuning.csv   per problem, method and grid rate: the median best value over the tuning seeds, and the choice
    data/step_costs.csv per problem and method: its step's seconds and its ratio to SGD's, measured in one process
"""

from __future__ import annotations

import csv
import io

import numpy as np

from reportgen.analysis import scores
from reportgen.site.gather import Suite

RUNS = "data/runs.csv"
CURVES = "data/curves.csv"
TARGETS = "data/targets.csv"
SCORES = "data/scores.csv"
TUNING = "data/tuning.csv"
STEP_COSTS = "data/step_costs.csv"


def _cell(value) -> str:
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def _table(header: tuple[str, ...], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def runs_csv(suite: Suite) -> str:
    rows = []
    for problem in suite.problems:
        target = suite.target(problem.name).value
        for m, spec in enumerate(problem.methods):
            for s, seed in enumerate(problem.result_set.seeds):
                curve = problem.curves[m, s]
                epochs = scores.epochs_to_target(curve, target)
                rows.append((problem.name, spec.name, seed, problem.lr(spec.name), scores.best_value(curve), epochs, epochs * problem.steps_per_epoch))
    return _table(("problem", "method", "seed", "lr", "best_value", "epochs_to_target", "steps_to_target"), rows)


def curves_csv(suite: Suite) -> str:
    """Every compared run's target metric after each epoch: what the times to target are read from."""
    rows = [
        (problem.name, spec.name, seed, epoch + 1, value)
        for problem in suite.problems
        for m, spec in enumerate(problem.methods)
        for s, seed in enumerate(problem.result_set.seeds)
        for epoch, value in enumerate(problem.curves[m, s])
    ]
    return _table(("problem", "method", "seed", "epoch", "value"), rows)


def targets_csv(suite: Suite) -> str:
    rows = []
    for p in suite.problems:
        target = suite.target(p.name)
        rows.append((p.name, p.metric, target.value, target.baseline, *target.baseline_bests, p.floor, p.steps_per_epoch, p.result_set.epochs))
    header = ("problem", "metric", "target", "baseline", *(f"{name}_median_best" for name in scores.BASELINES), "floor", "steps_per_epoch", "epochs")
    return _table(header, rows)


def scores_csv(suite: Suite) -> str:
    rows = []
    for spec in suite.methods:
        score, place, speedup, speedup_place = suite.scored(spec.name)
        cost, measured = suite.step_cost(spec.name)
        rows.append((spec.name, spec.letter, score.value, score.low, score.high, place.best_rank, place.worst_rank, " ".join(place.ties),
                     speedup.value, speedup.low, speedup.high, speedup.both, speedup.only_method, speedup.only_reference,
                     speedup_place.best_rank if speedup_place else None, speedup_place.worst_rank if speedup_place else None,
                     cost, measured, suite.reached(spec.name)))
    header = ("method", "letter", "integrated", "integrated_low", "integrated_high", "rank_best", "rank_worst", "not_told_apart_from",
              "speedup", "speedup_low", "speedup_high", "speedup_problems", "only_method", "only_sgd", "speedup_rank_best", "speedup_rank_worst",
              "step_cost_ratio", "step_cost_problems", "problems_reached")
    return _table(header, rows)


def tuning_csv(suite: Suite) -> str:
    rows = [
        (p.name, m.method, value, median, value == m.chosen)
        for p in suite.problems if p.tuning is not None
        for m in p.tuning.methods
        for value, median in zip(m.values, m.medians)
    ]
    return _table(("problem", "method", "lr", "median_best", "chosen"), rows)


def step_costs_csv(suite: Suite) -> str:
    rows = [(problem, method, cost.seconds, cost.ratio, cost.low, cost.high) for (problem, method), cost in suite.step_costs.items()]
    return _table(("problem", "method", "seconds_per_step", "ratio_to_sgd", "ratio_low", "ratio_high"), rows)


def data_files(suite: Suite) -> dict[str, str]:
    files = {RUNS: runs_csv(suite), CURVES: curves_csv(suite), TARGETS: targets_csv(suite), SCORES: scores_csv(suite)}
    if any(problem.tuning for problem in suite.problems):
        files[TUNING] = tuning_csv(suite)
    return files | ({STEP_COSTS: step_costs_csv(suite)} if suite.step_costs else {})
