"""The site's pages as plain data, and their HTML: an overview, one page per problem, one per method.

Each page is whole on its own (inline CSS, SVG, MathML and its font, the small data files as data: URLs), so a
page copied alone still reads; the pages link to each other by relative paths. With ``single_file`` the same
sections go into one page and the links become anchors in it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from reportgen.analysis.profiles import Place, Score, SpeedUp
from reportgen.analysis.scores import REFERENCE, ProblemRow, Target
from reportgen.report import mathfont
from reportgen.report.drawing import Figure
from reportgen.report.methods import MethodSection
from reportgen.report.permalinks import add_permalinks
from reportgen.report.templates import environment, templates_dir
from reportgen.site.gather import ProblemRuns, Suite
from reportgen.site.takeaways import score
from reportgen.training.step_cost import MethodCost


@dataclass(frozen=True)
class Cell:
    """One method on one problem, as the tables show it."""

    method: str
    letter: str
    title: str
    problem: str
    lr: float | None  # what its runs used
    tuned: bool  # chosen on the grid (else its own rate: no tuning, or no grid value with a finite median)
    at_edge: bool
    row: ProblemRow
    ratio: float  # its median steps over the fastest method's on the problem (inf: did not reach)
    speedup: float  # SGD's median steps over its own (nan when either did not reach)
    cost: MethodCost | None


@dataclass(frozen=True)
class ProblemPage:
    problem: ProblemRuns
    target: Target
    facts: list[tuple[str, str]]
    cells: list[Cell]
    finals: list[tuple[str, list[float]]]  # per method: the median over seeds of each metric's last value
    figures: list[Figure]


@dataclass(frozen=True)
class MethodPage:
    name: str
    letter: str
    title: str
    section: MethodSection
    cells: list[Cell]  # one per problem
    score: Score
    place: Place
    speedup: SpeedUp
    speedup_place: Place | None
    reached: int
    step_cost: float | None  # the median over the problems of its step's time over SGD's
    step_costs_measured: int

    @property
    def references(self) -> list:
        """What its update rule and its derivation cite, once each."""
        return list({ref.anchor: ref for ref in [*self.section.references, *self.section.derivation.references]}.values())


@dataclass(frozen=True)
class Site:
    suite: Suite
    title: str
    command: str
    date: str
    generator: str
    takeaways: list[str]
    profile: Figure
    problems: list[ProblemPage]
    methods: list[MethodPage]
    data_files: list[str]
    r_max: float

    @property
    def references(self) -> list:
        """Every method's references, once each: the single page lists them at its end."""
        return list({ref.anchor: ref for page in self.methods for ref in page.references}.values())

    @property
    def tuning(self):
        """The first problem's tuning, for the grid and seeds every problem shares (None: the rates are as configured)."""
        return self.suite.problems[0].tuning


def cells(suite: Suite, problem: ProblemRuns) -> list[Cell]:
    rows = [suite.row(problem.name, spec.name) for spec in problem.methods]
    medians = np.array([row.steps.median for row in rows])
    fastest = medians.min() if np.isfinite(medians).any() else np.inf
    reference = next((row.steps.median for row in rows if row.method == REFERENCE), np.nan)
    found = []
    for spec, row in zip(problem.methods, rows):
        ratio = row.steps.median / fastest if np.isfinite(fastest) else np.inf
        speedup = reference / row.steps.median if np.isfinite(reference) and np.isfinite(row.steps.median) else np.nan
        tuned = problem.tuned(spec.name)
        found.append(Cell(spec.name, spec.letter, suite.title(spec.name), problem.name, problem.lr(spec.name), bool(tuned and tuned.chosen is not None),
                          bool(tuned and tuned.at_edge), row, ratio, speedup, suite.step_costs.get((problem.name, spec.name))))
    return found


def finals(problem: ProblemRuns) -> list[tuple[str, list[float]]]:
    """Each method's last value of every metric, the median over its seeds (a diverged run's last finite one)."""
    found = []
    for m, spec in enumerate(problem.methods):
        values = []
        for metric in problem.metric_names:
            last = [curve[np.isfinite(curve)][-1] if np.isfinite(curve).any() else np.nan for curve in problem.result_set.arrays[metric][m]]
            values.append(float(np.median(last)))
        found.append((spec.name, values))
    return found


class Links:
    """Where a page's links go: another page's file, or with ``single`` an anchor in the one page; a data file's
    data: URL when it is small enough to carry (``downloads``), else its path from the page."""

    def __init__(self, single: bool, depth: int, downloads: dict[str, str]):
        self.single, self.prefix, self.downloads = single, "../" * depth, downloads

    @staticmethod
    def anchor(kind: str, name: str = "") -> str:
        return kind if kind == "overview" else f"{kind}-{name}"

    def page(self, kind: str, name: str = "") -> str:
        if self.single:
            return f"#{self.anchor(kind, name)}"
        return self.prefix + ("index.html" if kind == "overview" else f"{kind}s/{name}.html")

    def file(self, path: str) -> str:
        return self.downloads.get(path) or self.prefix + path


def _css() -> str:
    return mathfont.PLACEHOLDER + (templates_dir() / "style.css").read_text(encoding="utf-8")


@functools.cache  # one environment, and its compiled templates, for every page of a build
def _environment():
    env = environment(True)
    env.globals["inf"] = math.inf  # a time of "did not reach"
    env.filters["score"] = score
    return env


def _page(title: str, body: str, site: Site, links: Links) -> str:
    page = _environment().get_template("site-page.html.j2").render(title=title, body=Markup(body), site=site, links=links, css=Markup(_css()))
    return mathfont.embed(add_permalinks(page))


def _part(template: str, site: Site, links: Links, **page) -> str:
    return _environment().get_template(template).render(site=site, links=links, **page)


def render_pages(site: Site, downloads: dict[str, str], single_file: bool) -> dict[str, str]:
    """Path in the site -> HTML: every page, or with ``single_file`` the one index.html holding them all."""
    if single_file:
        links = Links(True, 0, downloads)
        parts = [_part("site-overview.html.j2", site, links)]
        parts += [_part("site-problem.html.j2", site, links, page=page) for page in site.problems]
        parts += [_part("site-method.html.j2", site, links, page=page) for page in site.methods]
        parts.append(_part("site-references.html.j2", site, links, references=site.references))
        return {"index.html": _page(site.title, "\n".join(parts), site, links)}
    pages = {"index.html": _page(site.title, _part("site-overview.html.j2", site, Links(False, 0, downloads)), site, Links(False, 0, downloads))}
    for page in site.problems:
        links = Links(False, 1, downloads)
        pages[f"problems/{page.problem.name}.html"] = _page(f"{page.problem.title} \u2014 {site.title}", _part("site-problem.html.j2", site, links, page=page), site, links)
    for page in site.methods:
        links = Links(False, 1, downloads)
        pages[f"methods/{page.name}.html"] = _page(f"{page.letter}. {page.title} \u2014 {site.title}", _part("site-method.html.j2", site, links, page=page), site, links)
    return pages
