"""Draw the site's figures, fill its pages and write its files.

    index.html                 the overview: takeaways, scores, profiles, the raw table, the data files
    problems/<problem>.html    each problem: its setting, target, results, tuning and pictures
    methods/<method>.html      each method: its equation, derivation and results across the problems
    figures/<slug>.svg|png|pdf every figure, as the report writes them
    data/*.csv                 the numbers (reportgen.site.export)
    paper/scores.tex           the scores as a booktabs table

With ``single_file`` the pages are sections of the one index.html. Every file is written atomically and is
byte-identical for the same results, step costs and package versions.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

import reportgen
from reportgen import atomic
from reportgen.formatting import number
from reportgen.analysis.profiles import R_MAX
from reportgen.problems.base import PATH_DIMENSIONS, SURFACE
from reportgen.report import drawing, path_figures
from reportgen.report.context import build_date
from reportgen.report.drawing import Figure, line_style
from reportgen.report.methods import method_sections
from reportgen.report.path_figures import MethodRuns
from reportgen.report.render import embedded
from reportgen.report.templates import latex_environment
from reportgen.site import export, figures
from reportgen.site.gather import METRIC_WORDS, ProblemRuns, Suite
from reportgen.site.pages import MethodPage, ProblemPage, Site, cells, render_pages
from reportgen.site.takeaways import takeaways

MARGIN = 0.5  # a map without a view of its own spans start and optimum and this share of their distance around


def surface_value(problem, x, y):
    """``problem``'s f on a grid, as the contour map asks for it (module level, so a worker process can draw it)."""
    return problem.value(np.array([x, y]))


def _styled(suite: Suite, problem: ProblemRuns, runs) -> list[MethodRuns]:
    """Each method of ``problem`` with its colour and its runs (``runs(m)``: one array per seed)."""
    shown = []
    for m, spec in enumerate(problem.methods):
        colour, style = line_style(spec.name, spec.letter)
        shown.append(MethodRuns(spec.letter, suite.title(spec.name).split(". ", 1)[1], colour, style, runs(m)))
    return shown


def _view(instance) -> tuple[tuple[float, float], tuple[float, float]]:
    if getattr(instance, "view", None):
        return instance.view
    start, optimum = instance.start, instance.minimiser
    span = np.maximum(np.abs(optimum - start), 1.0) * MARGIN
    low, high = np.minimum(start, optimum) - span, np.maximum(start, optimum) + span
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def _tuning_text(problem: ProblemRuns) -> str:
    if problem.tuning is None:
        return "learning rates as configured, not tuned"
    values = problem.tuning.methods[0].values
    return f"learning rates tuned per method on this problem, {len(values)} rates from {values[0]:g} to {values[-1]:g}"


def problem_jobs(suite: Suite, problem: ProblemRuns) -> list[drawing.FigureJob]:
    """The figures of a problem's page: paths and distances where the optimum is known (and the problem says where
    the paths start and what f is: ``SURFACE``), else its target metric's curves; its tuning."""
    instance, words = problem.instance, METRIC_WORDS.get(problem.metric, problem.metric)
    result, jobs = problem.result_set, []
    tuning = _tuning_text(problem)
    surface = all(hasattr(instance, part) for part in SURFACE)
    if "path" in result.arrays and surface:
        start, optimum = instance.start, instance.minimiser
        paths = _styled(suite, problem, lambda m: tuple(np.vstack([start, result.arrays["path"][m, s].reshape(-1, PATH_DIMENSIONS)]) for s in range(len(result.seeds))))
        jobs.append((path_figures.surface_figure, (functools.partial(surface_value, instance), _view(instance), paths, start, optimum),
                     {"problem": problem.name, "tuning": tuning, "animate": True}))
    if "distance" in result.arrays and problem.steps_per_epoch == 1 and surface:
        first = float(np.linalg.norm(instance.start - instance.minimiser))
        distances = _styled(suite, problem, lambda m: tuple(np.concatenate([[first], result.arrays["distance"][m, s]]) for s in range(len(result.seeds))))
        jobs.append((path_figures.distance_figure, (distances,), {"problem": problem.name, "tuning": tuning}))
    else:
        curves = _styled(suite, problem, lambda m: tuple(problem.curves[m]))
        jobs.append((figures.metric_figure, (problem.name, problem.title, words, curves, suite.target(problem.name).value, problem.steps_per_epoch), {}))
    if problem.tuning is not None:
        by_name = {m.method: m for m in problem.tuning.methods}
        tuned = [spec for spec in problem.methods if spec.name in by_name]
        grids = [(np.array(by_name[s.name].values), np.array(by_name[s.name].medians), by_name[s.name].chosen) for s in tuned]
        styled = [method for method, spec in zip(_styled(suite, problem, lambda m: ()), problem.methods) if spec.name in by_name]
        jobs.append((figures.tuning_figure, (problem.name, problem.title, words, styled, grids, len(problem.tuning.seeds)), {}))
    return jobs


def _with_keywords(function, arguments, keywords) -> Figure:
    return function(*arguments, **keywords)


def _facts(suite: Suite, problem: ProblemRuns) -> list[tuple[str, str]]:
    target, config = suite.target(problem.name), problem.experiment.config
    training = config["training"]
    facts = [
        ("Target metric", f"{METRIC_WORDS.get(problem.metric, problem.metric)} ({problem.metric}), lower is better"),
        ("Target", f"{number(target.value)}, the median best of {target.baseline} (the better tuned baseline)" + (f"; never below {number(problem.floor)}" if problem.floor else "")),
        ("Budget", f"{problem.result_set.epochs} epochs of {problem.steps_per_epoch} step{'s' if problem.steps_per_epoch != 1 else ''} "
                   f"({problem.result_set.epochs * problem.steps_per_epoch} steps), batch size {training['batch_size']}"),
        ("Seeds", ", ".join(str(seed) for seed in problem.result_set.seeds)),
    ]
    if problem.tuning is not None:
        facts.append(("Tuning", f"{_tuning_text(problem)}, on tuning seeds {', '.join(map(str, problem.tuning.seeds))}: the rate with the lowest median best {problem.metric}"))
    options = config["problem"]["options"]
    if options:
        facts.append(("Options", ", ".join(f"{key} = {value}" for key, value in options.items())))
    description = problem.result_set.data.get("description")
    if description:
        facts.append(("Data", str(description)))
    return facts


def scores_table(site: Site) -> str:
    return latex_environment().get_template("site-scores.tex.j2").render(site=site)


def write_site(suite: Suite, out_dir: Path, *, command: str, single_file: bool = False, executor=None) -> Path:
    """Draw and write the site of ``suite`` into ``out_dir``; return its index.html."""
    out_dir = Path(out_dir)
    specs = list(suite.methods)
    styles = [MethodRuns(spec.letter, suite.title(spec.name).split(". ", 1)[1], *line_style(spec.name, spec.letter), ()) for spec in specs]
    order = [suite.scores.methods.index(spec.name) for spec in specs]
    result = suite.scores
    jobs = [(figures.profile_figure, (styles, result.taus, result.profiles[order], result.profiles_low[order], result.profiles_high[order], len(suite.problems), R_MAX), {})]
    per_problem = [problem_jobs(suite, problem) for problem in suite.problems]
    jobs += [job for found in per_problem for job in found]
    drawn = drawing.draw([(_with_keywords, job) for job in jobs], executor)
    profile, rest = drawn[0], iter(drawn[1:])
    problem_pages = [ProblemPage(p, suite.target(p.name), _facts(suite, p), cells(suite, p), [next(rest) for _ in found]) for p, found in zip(suite.problems, per_problem)]
    sections = {section.name: section for section in method_sections(specs)}
    by = {name: {item.method: item for item in items} for name, items in (("score", result.integrated), ("place", result.integrated_places), ("speedup", result.speedups))}
    method_pages = [
        MethodPage(spec.name, spec.letter, suite.title(spec.name).split(". ", 1)[1], sections[spec.name],
                   [next(c for c in page.cells if c.method == spec.name) for page in problem_pages], by["score"][spec.name], by["place"][spec.name], by["speedup"][spec.name])
        for spec in specs
    ]
    data = export.data_files(suite)
    site = Site(suite, f"{len(specs)} optimizers on {len(suite.problems)} problems", command, build_date(), f"reportgen {reportgen.__version__}",
                takeaways(suite), profile, problem_pages, method_pages, list(data))
    outputs: dict[str, str | bytes] = dict(data)
    for figure in drawn:
        for kind in ("svg", "png", "pdf"):
            outputs[f"figures/{figure.slug}.{kind}"] = getattr(figure, kind)
    outputs["paper/scores.tex"] = scores_table(site)
    outputs.update(render_pages(site, embedded(outputs), single_file))
    for relative, content in outputs.items():
        (atomic.write_bytes if isinstance(content, bytes) else atomic.write_text)(out_dir / relative, content)
    return out_dir / "index.html"
