"""The overview's takeaways: what the scores say across the problems, in sentences whose every number comes from
the site's data files (tests/test_site.py recomputes them from those files alone).

The wording follows the statistics: a paired interval that includes no difference leaves two methods "not told
apart", never "tied"; a method fastest on a problem is so by its point median, and the problem page gives the
interval beside it.
"""

from __future__ import annotations

import math

from reportgen.analysis.scores import REFERENCE
from reportgen.formatting import listing, number, rank_range
from reportgen.site.gather import Suite


def score(value: float) -> str:
    """An integrated score, in [0, 1], with two decimals: 0.00 beside 0.75 reads as the same scale."""
    return f"{value:.2f}" if math.isfinite(value) else "n/a"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _names(suite: Suite, methods) -> str:
    return listing([suite.title(name) for name in methods])


def best_score(suite: Suite) -> str:
    values = {item.method: item for item in suite.scores.integrated}
    top = max(item.value for item in values.values())
    best = [spec.name for spec in suite.methods if values[spec.name].value == top]
    first = values[best[0]]
    _, place, _, _ = suite.scored(best[0])
    others = [name for name in place.ties if name not in best]
    apart = f"; not told apart from {_names(suite, others)} (paired 95% intervals over {plural(len(suite.seeds), 'seed')})" if others else ""
    shared = f" shared by {_names(suite, best)}" if len(best) > 1 else f" {suite.title(best[0])}'s"
    return (f"The highest integrated score is{shared}, {score(first.value)} (95% interval {score(first.low)} to {score(first.high)}): "
            f"rank {rank_range(place.best_rank, place.worst_rank)}{apart}.")


def fastest_per_problem(suite: Suite) -> str:
    parts, winners = [], set()
    for problem in suite.problems:
        times = {spec.name: suite.row(problem.name, spec.name).steps.median for spec in suite.methods}
        finite = {name: time for name, time in times.items() if math.isfinite(time)}
        if not finite:
            parts.append(f"{problem.name}: none reaches it")
            continue
        fastest = [name for name, time in finite.items() if time == min(finite.values())]
        winners.update(fastest)
        parts.append(f"{problem.name}: {' and '.join(suite.title(name) for name in fastest)}" + (" (the only one to reach it)" if len(finite) == 1 else ""))
    if len(winners) > 1:
        head = (f"The fastest method to the target (median steps) changes with the problem: {len(winners)} different methods are fastest "
                f"on at least one of the {len(suite.problems)} problems")
    elif winners:
        head = "One method is the fastest to the target (median steps) on every problem a method reaches"
    else:
        head = "No method reaches the target on any problem"
    return f"{head} ({'; '.join(parts)}). These are point medians; each problem's page gives their intervals."


def reach(suite: Suite) -> str:
    counts = {spec.name: suite.reached(spec.name) for spec in suite.methods}
    every = [name for name, count in counts.items() if count == len(suite.problems)]
    fewest = min(counts.values())
    head = (f"{len(every)} of the {len(suite.methods)} methods reach the target on every problem (more than half their seeds do)"
            if every else f"No method reaches the target on all {len(suite.problems)} problems")
    if fewest == len(suite.problems):
        return f"{head}."
    last = [name for name, count in counts.items() if count == fewest]
    return f"{head}; {_names(suite, last)} reach{'es' if len(last) == 1 else ''} it on {fewest} of {len(suite.problems)}."


def speedup(suite: Suite) -> str | None:
    """The largest speed-up against SGD among the methods that share at least half the problems with it."""
    if not suite.reached(REFERENCE):
        return (f"Plain SGD reaches the target on none of the {len(suite.problems)} problems within their budgets, so no speed-up against it is "
                "defined: a method that reaches a target SGD does not is faster by more than any finite ratio.")
    enough = math.ceil(len(suite.problems) / 2)
    shown = [item for item in suite.scores.speedups if item.method != REFERENCE and math.isfinite(item.value) and item.both >= enough]
    if not shown:
        return None
    best = max(shown, key=lambda item: item.value)
    beyond = f"; it also reaches {plural(best.only_method, 'problem')} SGD does not" if best.only_method else ""
    return (f"Against plain SGD, the largest geometric-mean speed-up in steps, among the methods that reach at least {enough} of the problems SGD reaches, "
            f"is {suite.title(best.method)}'s, {number(best.value, 3)}x (95% interval {number(best.low, 3)} to {number(best.high, 3)}) over the "
            f"{plural(best.both, 'problem')} both reach{beyond}.")


def step_cost(suite: Suite) -> str | None:
    medians = {spec.name: suite.step_cost(spec.name) for spec in suite.methods}
    measured = {name: found for name, found in medians.items() if found[0] is not None}
    if not measured:
        return None
    costliest = max(measured, key=lambda name: measured[name][0])
    ratio, count = measured[costliest]
    return (f"A step of {suite.title(costliest)} costs the most: {number(ratio, 3)} times SGD's, the median over the "
            f"{plural(count, 'problem')} where it was measured in one process; the scores count steps, so this cost is not in them.")


def edges(suite: Suite) -> str | None:
    found = [f"{suite.title(m.method)} on {p.name}" for p in suite.problems if p.tuning for m in p.tuning.methods if m.at_edge]
    if not found:
        return None
    return (f"{plural(len(found), 'tuned learning rate is', 'tuned learning rates are')} at an end of the grid, where a better rate may lie "
            f"beyond it: {'; '.join(found)}.")


def takeaways(suite: Suite) -> list[str]:
    return [line for line in (best_score(suite), fastest_per_problem(suite), reach(suite), speedup(suite), step_cost(suite), edges(suite)) if line]
