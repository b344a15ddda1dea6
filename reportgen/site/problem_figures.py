"""A problem page's figures, as jobs for ``reportgen.report.drawing.draw``: the paths on the contour map and the
distance to the optimum where the problem is a surface with a known minimiser, the target metric's curves with the
target on every problem, and the tuning where there was one."""

from __future__ import annotations

import functools

import numpy as np

from reportgen.problems.base import PATH_DIMENSIONS, SURFACE
from reportgen.report import drawing, path_figures
from reportgen.report.drawing import Figure, line_style
from reportgen.report.path_figures import MethodRuns
from reportgen.site import figures
from reportgen.site.gather import METRIC_WORDS, ProblemRuns, Suite

MARGIN = 0.5  # a map without a view of its own spans start and optimum and this share of their distance around


def surface_value(problem, x, y):
    """``problem``'s f on a grid, as the contour map asks for it (module level, so a worker process can draw it)."""
    return problem.value(np.array([x, y]))


def styled(suite: Suite, specs, runs) -> list[MethodRuns]:
    """Each of ``specs`` with its colour and its runs (``runs(m)``: one array per seed)."""
    return [MethodRuns(spec.letter, suite.short_title(spec.name), *line_style(spec.name, spec.letter), runs(m)) for m, spec in enumerate(specs)]


def _view(instance) -> tuple[tuple[float, float], tuple[float, float]]:
    if getattr(instance, "view", None):
        return instance.view
    start, optimum = instance.start, instance.minimiser
    span = np.maximum(np.abs(optimum - start), 1.0) * MARGIN
    low, high = np.minimum(start, optimum) - span, np.maximum(start, optimum) + span
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def tuning_text(problem: ProblemRuns) -> str:
    if problem.tuning is None:
        return "learning rates as configured, not tuned"
    values = problem.tuning.methods[0].values
    return f"learning rates tuned per method on this problem, {len(values)} rates from {values[0]:g} to {values[-1]:g}"


def problem_jobs(suite: Suite, problem: ProblemRuns) -> list[drawing.FigureJob]:
    """The figures of a problem's page: paths and distances where the optimum is known (and the problem says where
    the paths start and what f is: ``SURFACE``), else its target metric's curves; its tuning."""
    instance, words = problem.instance, METRIC_WORDS.get(problem.metric, problem.metric)
    result, jobs = problem.result_set, []
    tuning = tuning_text(problem)
    surface = all(hasattr(instance, part) for part in SURFACE)
    if "path" in result.arrays and surface:
        start, optimum = instance.start, instance.minimiser
        paths = styled(suite, problem.methods, lambda m: tuple(np.vstack([start, result.arrays["path"][m, s].reshape(-1, PATH_DIMENSIONS)]) for s in range(len(result.seeds))))
        jobs.append((path_figures.surface_figure, (functools.partial(surface_value, instance), _view(instance), paths, start, optimum),
                     {"problem": problem.name, "tuning": tuning, "animate": True}))
    if "distance" in result.arrays and problem.steps_per_epoch == 1 and surface:
        first = float(np.linalg.norm(instance.start - instance.minimiser))
        distances = styled(suite, problem.methods, lambda m: tuple(np.concatenate([[first], result.arrays["distance"][m, s]]) for s in range(len(result.seeds))))
        jobs.append((path_figures.distance_figure, (distances,), {"problem": problem.name, "tuning": tuning}))
    curves = styled(suite, problem.methods, lambda m: tuple(problem.curves[m]))  # what the scores time, against its target
    jobs.append((figures.metric_figure, (problem.name, problem.title, words, curves, suite.target(problem.name).value, problem.steps_per_epoch), {}))
    if problem.tuning is not None:
        by_name = {m.method: m for m in problem.tuning.methods}
        tuned = [spec for spec in problem.methods if spec.name in by_name]
        grids = [(np.array(by_name[s.name].values), np.array(by_name[s.name].medians), by_name[s.name].chosen) for s in tuned]
        jobs.append((figures.tuning_figure, (problem.name, problem.title, words, styled(suite, tuned, lambda m: ()), grids, len(problem.tuning.seeds)), {}))
    return jobs


def with_keywords(function, arguments, keywords) -> Figure:
    return function(*arguments, **keywords)
