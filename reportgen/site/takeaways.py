"""The overview's takeaways: what the scores say across the problems, in sentences whose every number comes from
the site's data files (tests/test_site.py recomputes them from those files alone)."""

from __future__ import annotations

import numpy as np

from reportgen.formatting import listing, number, rank_range
from reportgen.site.gather import Suite


def best_score(suite: Suite) -> str:
    result = suite.scores
    best = max(result.integrated, key=lambda score: score.value)
    place = next(place for place in result.integrated_places if place.method == best.method)
    tied = f", tied with {listing([suite.title(name) for name in place.ties])}" if place.ties else ""
    return (f"The highest integrated score is {suite.title(best.method)}'s, {number(best.value, 2)} "
            f"(95% interval {number(best.low, 2)} to {number(best.high, 2)}): rank {rank_range(place.best_rank, place.worst_rank)}{tied}.")


def fastest_per_problem(suite: Suite) -> str:
    fastest = {}
    for problem in suite.problems:
        rows = [suite.row(problem.name, spec.name) for spec in suite.methods]
        times = np.array([row.steps.median for row in rows])
        if np.isfinite(times).any():
            fastest[problem.name] = [spec.name for spec, time in zip(suite.methods, times) if time == times.min()]
    winners = sorted({name for names in fastest.values() for name in names})
    parts = [f"{problem}: {' and '.join(suite.title(name) for name in names)}" for problem, names in fastest.items()]
    return (f"The fastest method to the target (median steps) changes with the problem: {len(winners)} different methods are fastest "
            f"on at least one of the {len(suite.problems)} problems ({'; '.join(parts)}).")


def reach(suite: Suite) -> str:
    counts = {spec.name: sum(suite.row(p.name, spec.name).steps.median < np.inf for p in suite.problems) for spec in suite.methods}
    every = [name for name, count in counts.items() if count == len(suite.problems)]
    fewest = min(counts.values())
    last = [name for name, count in counts.items() if count == fewest]
    head = (f"{len(every)} of the {len(suite.methods)} methods reach the target on every problem (more than half their seeds do)"
            if every else f"No method reaches the target on all {len(suite.problems)} problems")
    return f"{head}; {listing([suite.title(name) for name in last])} reach{'es' if len(last) == 1 else ''} it on {fewest} of {len(suite.problems)}."


def speedup(suite: Suite) -> str | None:
    finite = [item for item in suite.scores.speedups if np.isfinite(item.value) and item.method != "sgd"]
    if not finite:
        return None
    best = max(finite, key=lambda item: item.value)
    return (f"Against plain SGD, the largest geometric-mean speed-up in steps is {suite.title(best.method)}'s, {number(best.value, 2)}x "
            f"(95% interval {number(best.low, 2)} to {number(best.high, 2)}) over the {best.both} problems both reach.")


def step_cost(suite: Suite) -> str | None:
    if not suite.step_costs:
        return None
    medians = {spec.name: float(np.median([suite.step_costs[p.name, spec.name].ratio for p in suite.problems])) for spec in suite.methods}
    costliest = max(medians, key=medians.get)
    return (f"A step of {suite.title(costliest)} costs the most: {number(medians[costliest], 2)} times SGD's, the median over the problems "
            "of the ratio measured in one process; the scores count steps, so this cost is not in them.")


def edges(suite: Suite) -> str | None:
    found = [f"{suite.title(m.method)} on {p.name}" for p in suite.problems if p.tuning for m in p.tuning.methods if m.at_edge]
    if not found:
        return None
    return (f"{len(found)} tuned learning rates are at an end of the grid, where a better rate may lie beyond it: {'; '.join(found)}.")


def takeaways(suite: Suite) -> list[str]:
    return [line for line in (best_score(suite), fastest_per_problem(suite), reach(suite), speedup(suite), step_cost(suite), edges(suite)) if line]
