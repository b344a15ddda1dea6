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

import math
from pathlib import Path

import reportgen
from reportgen import atomic
from reportgen.analysis.profiles import R_MAX
from reportgen.analysis.scores import Target
from reportgen.formatting import number
from reportgen.report import drawing
from reportgen.report.context import build_date
from reportgen.report.methods import method_sections
from reportgen.report.render import embedded
from reportgen.report.templates import latex_environment
from reportgen.site import export, figures
from reportgen.site.gather import METRIC_WORDS, ProblemRuns, Suite
from reportgen.site.pages import MethodPage, ProblemPage, Site, cells, finals, render_pages
from reportgen.site.problem_figures import problem_jobs, styled, tuning_text, with_keywords
from reportgen.site.takeaways import score, takeaways

def target_text(target: Target) -> str:
    """Where the problem's target came from: a baseline's median best, the floor above it, or nowhere."""
    if not math.isfinite(target.value):
        return "none: neither tuned baseline (SGD with momentum, Adam) has a finite median best, so no run is timed"
    best = min(target.baseline_bests)
    if target.value > best:
        return f"{number(target.value)}, the least target: the tuned baselines reach below it (median best {number(best)}, {target.baseline})"
    return f"{number(target.value)}, the median best of {target.baseline}, the better of the tuned baselines (SGD with momentum and Adam)"


def facts(suite: Suite, problem: ProblemRuns) -> list[tuple[str, str]]:
    config, result = problem.experiment.config, problem.result_set
    steps = problem.steps_per_epoch
    found = [
        ("Target metric", f"{METRIC_WORDS.get(problem.metric, problem.metric)} ({problem.metric}), lower is better"),
        ("Target", target_text(suite.target(problem.name))),
        ("Budget", f"{result.epochs} epochs of {steps} step{'s' if steps != 1 else ''} ({result.epochs * steps} steps), batch size {config['training']['batch_size']}"),
        ("Seeds", ", ".join(str(seed) for seed in result.seeds) + ("; the problem has no noise and one start, so every seed gives the same run" if problem.deterministic else "")),
        ("Learning rates", tuning_text(problem) + (f", on tuning seeds {', '.join(map(str, problem.tuning.seeds))}: the rate with the lowest median best "
                                                   f"{problem.metric}, the earlier to reach its least target on a tie" if problem.tuning else "")),
    ]
    if config["problem"]["options"]:
        found.append(("Options", ", ".join(f"{key} = {value}" for key, value in config["problem"]["options"].items())))
    if result.data.get("description"):
        found.append(("Data", str(result.data["description"])))
    return found


def scores_table(site: Site) -> str:
    env = latex_environment()
    env.filters["score"] = score
    return env.get_template("site-scores.tex.j2").render(site=site)


def method_pages(suite: Suite, problem_pages: list[ProblemPage]) -> list[MethodPage]:
    """A page per entry; entries that run the same code share its section (``method_sections`` gives one per code)."""
    sections = {section.runs: section for section in method_sections(list(suite.methods))}
    pages = []
    for spec in suite.methods:
        score, place, speedup, speedup_place = suite.scored(spec.name)
        ratio, measured = suite.step_cost(spec.name)
        row = [next(cell for cell in page.cells if cell.method == spec.name) for page in problem_pages]
        pages.append(MethodPage(spec.name, spec.letter, suite.short_title(spec.name), sections[spec.runs], row, score, place, speedup, speedup_place,
                                suite.reached(spec.name), ratio, measured))
    return pages


def _stale_pages(out_dir: Path, written: dict) -> None:
    """A previous build's pages this one does not write (a problem or method gone, or now one page): removed."""
    for page in [*out_dir.glob("problems/*.html"), *out_dir.glob("methods/*.html")]:
        if page.relative_to(out_dir).as_posix() not in written:
            page.unlink()


def write_site(suite: Suite, out_dir: Path, *, command: str, single_file: bool = False, executor=None) -> Path:
    """Draw and write the site of ``suite`` into ``out_dir``; return its index.html."""
    out_dir = Path(out_dir)
    result = suite.scores
    order = [result.methods.index(spec.name) for spec in suite.methods]
    styles = styled(suite, suite.methods, lambda m: ())
    jobs = [(figures.profile_figure, (styles, result.taus, result.profiles[order], len(suite.problems), R_MAX), {})]
    per_problem = [problem_jobs(suite, problem) for problem in suite.problems]
    jobs += [job for found in per_problem for job in found]
    drawn = drawing.draw([(with_keywords, job) for job in jobs], executor)
    profile, rest = drawn[0], iter(drawn[1:])
    problem_pages = [ProblemPage(p, suite.target(p.name), facts(suite, p), cells(suite, p), finals(p), [next(rest) for _ in found])
                     for p, found in zip(suite.problems, per_problem)]
    data = export.data_files(suite)
    site = Site(suite, f"{len(suite.methods)} optimizers on {len(suite.problems)} problems", command, build_date(), f"reportgen {reportgen.__version__}",
                takeaways(suite), profile, problem_pages, method_pages(suite, problem_pages), list(data), R_MAX)
    outputs: dict[str, str | bytes] = dict(data)
    for figure in drawn:
        for kind in ("svg", "png", "pdf"):
            outputs[f"figures/{figure.slug}.{kind}"] = getattr(figure, kind)
    outputs["paper/scores.tex"] = scores_table(site)
    outputs.update(render_pages(site, embedded(outputs), single_file))
    for relative, content in outputs.items():
        (atomic.write_bytes if isinstance(content, bytes) else atomic.write_text)(out_dir / relative, content)
    _stale_pages(out_dir, outputs)
    return out_dir / "index.html"
