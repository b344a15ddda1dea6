"""Gather the report's plain data into one context, render it with the templates, write the files.

The data path ends here: ResultSets -> ``analysis`` -> ``figures`` -> a
:class:`Report` (plain dataclasses: tables, figures, equations, texts) ->
``templates/`` (all presentation) -> files. Three Jinja environments, each
escaping every ``{{ value }}`` for its language unless the value is marked
safe: HTML (autoescape), Markdown (:func:`equations.escape_markdown`) and
LaTeX (:func:`equations.escape_latex`). Only HTML that Python produced from
trusted input is marked safe: MathML, matplotlib's SVG, rendered derivations.

Output (``render``)::

    index.html            one self-contained page: inline CSS, SVG, MathML; no script
    report.md             the same content for GitHub, images from figures/
    figures/<slug>.svg|png|pdf
    data/metrics.csv|json the raw metrics (reportgen.export)
    paper/<slug>.pdf, paper/results.tex   for a paper: figures and a booktabs table

Every file is written atomically and is byte-identical for the same results
and package versions: no wall-clock time, except the date given by
``SOURCE_DATE_EPOCH`` when that is set.
"""

from __future__ import annotations

import importlib.resources
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from markupsafe import Markup

import reportgen
from reportgen import analysis, atomic, equations, export, figure_cache, figures, optimizers, references, sweep_figures
from reportgen.analysis import ExperimentAnalysis, Marker, QuirkEffect
from reportgen.errors import ConfigError
from reportgen.references import Reference
from reportgen.results import ResultSet
from reportgen.sweep import SweepAnalysis

# Derivation texts, in report order; files templates/derivations/<slug>.md.
NETWORK_TEXT = "network"
BACKPROP_TEXT = "backprop"
IN_DEPTH = ("nesterov", "rmsprop", "nadam", "gaussian_noise", "adam_noise")  # the five the 2018 article showed
FIGURE_SECTIONS = ("setup", "cost", "accuracy", "wallclock", "overlap", "sweep")
REPLICA_VARIANT, TEXTBOOK_VARIANT = "seed-2018", "textbook"
DATA_FILES = ("data/metrics.csv", "data/metrics.json")
LATEX_TABLE = "paper/results.tex"


@dataclass(frozen=True)
class Derivation:
    slug: str
    html: str  # rendered Markdown with MathML: trusted
    markdown: str  # for report.md, LaTeX kept for GitHub
    references: list[Reference]


@dataclass(frozen=True)
class UpdateRule:
    """One method in one variant: its update equation beside the code that runs it."""

    variant: str
    equation: equations.Equation
    source: str
    quirks: list[str]
    references: list[Reference]


@dataclass(frozen=True)
class Method:
    name: str
    letter: str
    title: str
    in_depth: bool
    derivation: Derivation
    rules: list[UpdateRule]  # one per variant


@dataclass(frozen=True)
class FigureView:
    figure: figures.Figure
    markers: list[Marker]  # the annotations drawn on this figure, listed under it

    @property
    def image(self) -> str:
        return f"figures/{self.figure.slug}.png"


@dataclass(frozen=True)
class Setting:
    letter: str
    name: str
    title: str
    variant: str
    hyperparams: list[tuple[str, object]]


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    variant: str
    seeds: list[int]
    epochs: int
    data: list[tuple[str, object]]  # result_set.data as (field, value), fingerprint last
    key: str
    fingerprint: str
    versions: list[tuple[str, str]]
    source: str
    n_train: object
    n_test: object
    settings: list[Setting]
    analysis: ExperimentAnalysis
    titles: dict[str, str]  # method name -> title
    letters: dict[str, str]  # method name -> a-l


@dataclass(frozen=True)
class Report:
    title: str
    command: str
    date: str  # "" unless SOURCE_DATE_EPOCH is set
    generator: str
    findings: list[str]
    experiments: list[Experiment]
    network: Derivation
    backprop: Derivation
    methods: list[Method]
    titles: dict[str, str]  # method name -> title, for tables that name methods
    figures: dict[str, list[FigureView]]  # by section, in draw order
    quirk_effects: list[QuirkEffect]
    references: list[Reference]
    data_files: tuple[str, ...]
    latex_table: str
    sweep: list[SweepAnalysis] | None  # one per swept experiment; None: no sweep section


# ---------------------------------------------------------------- templates


def templates_dir() -> Path:
    """The installed ``reportgen.templates`` package, or ./templates beside the source package."""
    try:
        location = Path(str(importlib.resources.files("reportgen.templates")))
    except ModuleNotFoundError:
        # Running from a checkout with PYTHONPATH=.: the name reportgen.templates
        # only exists once installed (pyproject maps it onto templates/).
        location = Path(reportgen.__file__).resolve().parent.parent / "templates"
    if not (location / "index.html.j2").is_file():
        raise FileNotFoundError(f"report templates not found in {location}")
    return location


def number(value, digits: int = 4) -> str:
    """A float for a table: ``digits`` significant digits, "n/a" when missing or not finite."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.{digits}g}"


def percent(value) -> str:
    return "n/a" if value is None or not math.isfinite(float(value)) else f"{100 * float(value):.1f}%"


def epoch(value: int) -> str:
    """A 1-based epoch, with 0 meaning "never"."""
    return str(int(value)) if value else "never"


def setting(value) -> str:
    """A hyperparameter or data value as a person would write it."""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {setting(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(setting(item) for item in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def slug(text) -> str:
    """A safe HTML id part from user text (experiment names): lower case, runs of other characters as "-"."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def _environment(autoescape: bool, escape=None) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Markdown and LaTeX escape every value unless it is marked safe, as HTML does.
        finalize=None if escape is None else (lambda value: value if isinstance(value, Markup) else escape(value)),
    )
    environment.filters.update(number=number, percent=percent, epoch=epoch, setting=setting, slug=slug)
    return environment


def _markdown_environment() -> jinja2.Environment:
    environment = _environment(False, equations.escape_markdown)
    environment.filters["md"] = equations.escape_markdown
    environment.filters["code_span"] = lambda text: Markup(equations.code_span(str(text)))
    environment.filters["code_block"] = lambda code, language="": Markup(equations.code_fence(str(code), language))
    return environment


def _latex_environment() -> jinja2.Environment:
    environment = _environment(False, equations.escape_latex)
    environment.filters["tex"] = equations.escape_latex
    return environment


# ---------------------------------------------------------------- gathering


def _derivation(slug: str) -> Derivation:
    text = (templates_dir() / "derivations" / f"{slug}.md").read_text(encoding="utf-8")
    linked = references.link_citations(text)
    return Derivation(
        slug=slug,
        html=equations.markdown_to_html(linked),
        markdown=equations.markdown_for_github(linked).strip(),
        references=references.lookup(references.cited_keys(text)),
    )


def _method(name: str) -> Method:
    rules = []
    for variant in optimizers.VARIANTS:
        info = optimizers.describe(name, variant)
        rules.append(
            UpdateRule(
                variant=variant,
                equation=equations.equation(info.equation),
                source=info.source,
                quirks=list(info.quirks),
                references=references.lookup(info.references),
            )
        )
    info = optimizers.describe(name, TEXTBOOK_VARIANT)
    return Method(name, info.letter, info.title, name in IN_DEPTH, _derivation(name), rules)


def _variant(result_set: ResultSet) -> str:
    variants = {spec.variant for spec in result_set.methods}
    return variants.pop() if len(variants) == 1 else ", ".join(sorted(variants))


def _experiment(result_set: ResultSet, result: ExperimentAnalysis) -> Experiment:
    titles = {row.method: row.title for row in result.rows}
    data = dict(result_set.data)
    fingerprint = str(data.pop("fingerprint", ""))
    return Experiment(
        name=result_set.experiment,
        description=result_set.description.rstrip(". "),  # the templates end the sentence
        variant=_variant(result_set),
        seeds=list(result_set.seeds),
        epochs=result_set.epochs,
        data=[(field, value) for field, value in data.items()],
        key=result_set.key,
        fingerprint=fingerprint,
        versions=sorted((str(name), str(version)) for name, version in result_set.versions.items()),
        source=str(data.get("source", "unknown")),
        n_train=data.get("n_train", "?"),
        n_test=data.get("n_test", "?"),
        settings=[
            Setting(spec.letter, spec.name, titles.get(spec.name, spec.name), spec.variant, list(spec.hyperparams.items()))
            for spec in result_set.methods
        ],
        analysis=result,
        titles=titles,
        letters={spec.name: spec.letter for spec in result_set.methods},
    )


def _figure_views(drawn: list[figures.Figure], analyses: list[ExperimentAnalysis]) -> dict[str, list[FigureView]]:
    unknown = sorted({figure.section for figure in drawn} - set(FIGURE_SECTIONS))
    if unknown:
        raise ValueError(f"figures in unknown report section(s) {', '.join(unknown)}; known: {', '.join(FIGURE_SECTIONS)}")
    # An experiment's markers go under the first cost figure drawn for it
    # (figures.draw_all draws each experiment's main plot before its others).
    markers_for: dict[str, list[Marker]] = {}
    for result in analyses:
        prefix = f"{result.experiment}-"
        main = next((figure for figure in drawn if figure.section == "cost" and figure.slug.startswith(prefix)), None)
        if main is not None:
            markers_for[main.slug] = list(result.markers)
    return {
        section: [FigureView(figure, markers_for.get(figure.slug, [])) for figure in drawn if figure.section == section]
        for section in FIGURE_SECTIONS
    }


def build_date(environ=os.environ) -> str:
    """The UTC date from ``SOURCE_DATE_EPOCH``, or "" when it is not set (no wall-clock time)."""
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return ""
    try:
        moment = datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ConfigError(f"SOURCE_DATE_EPOCH={value!r}: expected whole seconds since 1970-01-01 UTC") from None
    return moment.strftime("%Y-%m-%d")


def _replica_and_textbook(result_sets: list[ResultSet]):
    by_variant = {}
    for result_set in result_sets:
        by_variant.setdefault(_variant(result_set), result_set)
    return by_variant.get(REPLICA_VARIANT), by_variant.get(TEXTBOOK_VARIANT)


def gather(
    result_sets: list[ResultSet],
    analyses: list[ExperimentAnalysis],
    effects: list[QuirkEffect],
    drawn: list[figures.Figure],
    *,
    command: str = "reportgen build",
    sweep=None,
    date: str = "",
) -> Report:
    """Everything the templates show, as plain data."""
    methods = [_method(name) for name in optimizers.METHODS]
    return Report(
        title="Twelve gradient-descent optimizers on a small NumPy network",
        command=command,
        date=date,
        generator=f"reportgen {reportgen.__version__}",
        findings=analysis.findings(result_sets, analyses, effects),
        experiments=[_experiment(result_set, result) for result_set, result in zip(result_sets, analyses)],
        network=_derivation(NETWORK_TEXT),
        backprop=_derivation(BACKPROP_TEXT),
        methods=methods,
        titles={method.name: method.title for method in methods},
        figures=_figure_views(drawn, analyses),
        quirk_effects=effects,
        references=list(references.REFERENCES.values()),  # every work is cited somewhere in the report
        data_files=DATA_FILES,
        latex_table=LATEX_TABLE,
        sweep=sweep,
    )


# ---------------------------------------------------------------- rendering


def render_html(report: Report) -> str:
    css = (templates_dir() / "style.css").read_text(encoding="utf-8")
    return _environment(True).get_template("index.html.j2").render(report=report, css=Markup(css))


def render_markdown(report: Report) -> str:
    return _markdown_environment().get_template("report.md.j2").render(report=report)


def render_latex_table(report: Report) -> str:
    return _latex_environment().get_template("results.tex.j2").render(report=report)


def render(
    result_sets: list[ResultSet], out_dir: Path, *, command: str = "reportgen build", sweep=None, figure_cache_dir: Path | None = None
) -> list[Path]:
    """Analyse, draw and write the whole report into ``out_dir``; return the files written.

    With ``figure_cache_dir``, figures drawn for the same inputs before are reused from there.
    """
    if not result_sets:
        raise ConfigError("report: no results to render; run `reportgen build` first")
    out_dir = Path(out_dir)
    date = build_date()
    analyses = [analysis.analyse(result_set) for result_set in result_sets]
    replica, textbook = _replica_and_textbook(result_sets)
    effects = analysis.quirk_effects(replica, textbook) if replica is not None and textbook is not None else []

    def draw() -> list:
        return figures.draw_all(result_sets, analyses) + (sweep_figures.draw_all(sweep) if sweep else [])

    drawn = draw() if figure_cache_dir is None else figure_cache.drawn(figure_cache_dir, result_sets, sweep, draw)
    report = gather(result_sets, analyses, effects, drawn, command=command, sweep=sweep, date=date)

    outputs: dict[str, bytes | str] = {}
    for figure in drawn:
        outputs[f"figures/{figure.slug}.svg"] = figure.svg
        outputs[f"figures/{figure.slug}.png"] = figure.png
        outputs[f"figures/{figure.slug}.pdf"] = figure.pdf
        outputs[f"paper/{figure.slug}.pdf"] = figure.pdf
    outputs[DATA_FILES[0]] = export.to_csv(result_sets)
    outputs[DATA_FILES[1]] = export.to_json(result_sets)
    outputs[LATEX_TABLE] = render_latex_table(report)
    outputs["report.md"] = render_markdown(report)
    outputs["index.html"] = render_html(report)

    written = []
    for relative, content in outputs.items():
        path = out_dir / relative
        if isinstance(content, bytes):
            atomic.write_bytes(path, content)
        else:
            atomic.write_text(path, content)
        written.append(path)
    return written
