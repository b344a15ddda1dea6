"""The report as plain data: everything the templates show, gathered from the results, their analysis and the figures.

Like coverage.py's HTML report, data is gathered into plain dataclasses
first; the templates in ``templates/`` only arrange and format them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import reportgen
from reportgen.analysis import Analysis, ExperimentAnalysis, claims, curves, provenance, variant_of
from reportgen.analysis.claims import ClaimTable
from reportgen.analysis.events import Marker
from reportgen.analysis.quirks import QuirkEffect
from reportgen.errors import ConfigError
from reportgen.report import references
from reportgen.report.citation import Citation, citation
from reportgen.report.drawing import Figure, figure_slug, letter_span
from reportgen.report.methods import BACKPROP_TEXT, NETWORK_TEXT, Code, Derivation, MethodSection, derivation, method_sections, shared_code
from reportgen.report.references import Reference
from reportgen.report.schedule_figures import describe
from reportgen.sweep.analysis import SweepAnalysis
from reportgen.training.results import ResultSet
from reportgen.verification import Verification

TITLE = "{count} gradient-descent {optimizers} on a small NumPy network"
COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
               "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")

FIGURE_SECTIONS = ("setup", "cost", "accuracy", "wallclock", "overlap", "sweep")

DATA_FILES = ("data/metrics.csv", "data/metrics.json", "data/controls.csv", "data/ablations.csv", "data/verification.csv")
SWEEP_DATA_FILE = "data/sweep.csv"  # written when the report has a sweep


LATEX_TABLE = "paper/results.tex"


# Figures that show again, another way, what a section's first figures show: the HTML folds them away.
SUPPORTING_FIGURES = ("-cost-log", "cost-small-multiples", "-overlap-matrix")


@dataclass(frozen=True)
class FigureView:
    figure: Figure
    markers: list[Marker]  # the annotations drawn on this figure, listed under it

    @property
    def supporting(self) -> bool:
        return self.figure.slug.endswith(SUPPORTING_FIGURES)

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
    schedule: str  # the learning-rate schedule in words (schedule_figures.describe); "" for a constant lr


@dataclass(frozen=True)
class ExperimentSection:
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
    hidden: list[int]  # hidden-layer sizes of the network
    images: str  # which images it trained on, as a noun phrase (reportgen.analysis.provenance)
    images_2018: bool  # they are the 2018 images
    tuning: str | None  # how the hyperparameters were chosen ([report] tuning)
    tuning_seeds: list[int]  # the seeds they were chosen on; empty if not stated
    settings: list[Setting]
    analysis: ExperimentAnalysis
    titles: dict[str, str]  # method name -> title
    letters: dict[str, str]  # method name -> a-l
    gradient_free: list[str]  # methods fed noise instead of gradients: their pairs lead the Overlap analysis
    plugins: list[tuple[str, str, str]]  # (letter, file name, SHA-256) of each plugin method: the stamp names the code


@dataclass(frozen=True)
class Report:
    title: str
    compared: str  # "Twelve update rules, a to l": the method entries the report compares
    network_shape: str  # "784-256-128-1" (the first experiment's)
    replica: bool  # an experiment runs the 2018 script's variant
    command: str
    date: str  # "" unless SOURCE_DATE_EPOCH is set
    generator: str
    takeaway: list[str]  # three of the findings, with the main figure on the first screen
    findings: list[str]
    experiments: list[ExperimentSection]
    network: Derivation
    backprop: Derivation
    methods: list[MethodSection]
    shared_code: list[Code]  # the parts several builders run, shown once
    titles: dict[str, str]  # method name -> title, for tables that name methods
    figures: dict[str, list[FigureView]]  # by section, in draw order
    quirk_effects: list[QuirkEffect]
    claims: list[ClaimTable]  # one per replica (seed-2018 variant) experiment
    references: list[Reference]
    data_files: tuple[str, ...]
    latex_table: str
    sweep: list[SweepAnalysis] | None  # one per swept experiment; None: no sweep section
    verification: Verification
    omitted: frozenset[str]  # ids of the sections this report has nothing for
    without_library: list[MethodSection]  # trained here, compared with no library's trajectories (i-l, plugins)
    citation: Citation


def _experiment(result_set: ResultSet, result: ExperimentAnalysis) -> ExperimentSection:
    titles = {row.method: row.title for row in result.rows}
    data = dict(result_set.data)
    fingerprint = str(data.pop("fingerprint", ""))
    return ExperimentSection(
        name=result_set.experiment,
        description=result_set.description.rstrip(". "),  # the templates end the sentence
        variant=variant_of(result_set),
        seeds=list(result_set.seeds),
        epochs=result_set.epochs,
        data=[(field, value) for field, value in data.items()],
        key=result_set.key,
        fingerprint=fingerprint,
        versions=sorted((str(name), str(version)) for name, version in result_set.versions.items()),
        source=str(data.get("source", "unknown")),
        n_train=data.get("n_train", "?"),
        n_test=data.get("n_test", "?"),
        hidden=list(result_set.config["network"]["hidden"]),
        images=provenance.images(result_set.data),
        images_2018=provenance.is_2018_images(result_set.data),
        tuning=result_set.config["report"]["tuning"],
        tuning_seeds=list(result_set.config["report"]["tuning_seeds"] or []),
        settings=[
            Setting(spec.letter, spec.name, titles.get(spec.name, spec.name), spec.variant, list(spec.hyperparams.items()), describe(spec) if spec.schedule else "")
            for spec in result_set.methods
        ],
        analysis=result,
        titles=titles,
        letters={spec.name: spec.letter for spec in result_set.methods},
        gradient_free=[spec.name for spec in result_set.methods if curves.gradient_free(spec)],
        plugins=[(spec.letter, Path(spec.plugin["file"]).name, spec.plugin["sha256"]) for spec in result_set.methods if spec.plugin],
    )


def _figure_views(drawn: list[Figure], analyses: list[ExperimentAnalysis]) -> dict[str, list[FigureView]]:
    unknown = sorted({figure.section for figure in drawn} - set(FIGURE_SECTIONS))
    if unknown:
        raise ValueError(f"figures in unknown report section(s) {', '.join(unknown)}; known: {', '.join(FIGURE_SECTIONS)}")
    # An experiment's markers go under its main cost figure, found by the slug figures.main_cost_figure gives it.
    markers_for = {figure_slug(result.experiment, "cost"): list(result.markers) for result in analyses}
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


ARTICLES = ("seo2018optimizers", "seo2018noise")


def _omitted(result_sets: list[ResultSet], analysis: Analysis, sweeps) -> frozenset[str]:
    """The sections with nothing to say: no sweep; no pair to compare for overlap; neither a replica of the 2018 script
    nor measured quirk effects; no replica whose claims to test."""
    replica = any(variant_of(result_set) == "seed-2018" for result_set in result_sets)
    omitted = {
        "learning-rate-sensitivity": sweeps is None,
        "overlap-analysis": not any(result.overlaps for result in analysis.experiments),
        "the-2018-quirks-one-at-a-time": not replica and not analysis.quirk_effects,
        "the-2018-claims": not replica,
    }
    return frozenset(section for section, empty in omitted.items() if empty)


def _cited(methods: list[MethodSection], *texts: Derivation) -> list[Reference]:
    """The works the report cites: the 2018 articles (the report replicates one), the texts' and the methods' own,
    reportgen's bibliography order first, then plugins' citations."""
    cited = [*references.lookup(ARTICLES), *(ref for text in texts for ref in text.references)]
    cited += [ref for method in methods for ref in (*method.references, *method.derivation.references)]
    unique = {ref.key: ref for ref in cited}
    order = list(references.REFERENCES)
    return sorted(unique.values(), key=lambda ref: order.index(ref.key) if ref.key in order else len(order))


def count_word(count: int) -> str:
    return COUNT_WORDS[count] if count < len(COUNT_WORDS) else str(count)


def _compared(result_sets: list[ResultSet]) -> str:
    """"Twelve update rules, a to l", or the letters themselves when they do not run from a."""
    entries = {spec.name: spec.letter for result_set in result_sets for spec in result_set.methods}
    letters = sorted(entries.values(), key=lambda letter: (len(letter), letter))
    named = letter_span(letters)
    return f"{count_word(len(letters)).capitalize()} update rule{'s' if len(letters) != 1 else ''}, {named}"


def gather(
    result_sets: list[ResultSet], analysis: Analysis, drawn: list[Figure], *, command: str, sweeps: list[SweepAnalysis] | None, date: str, verification: Verification
) -> Report:
    """Everything the templates show, as plain data."""
    methods = method_sections([spec for result_set in result_sets for spec in result_set.methods])
    network, backprop = derivation(NETWORK_TEXT), derivation(BACKPROP_TEXT)
    count = len({spec.name for result_set in result_sets for spec in result_set.methods})
    title = TITLE.format(count=count_word(count).capitalize(), optimizers="optimizer" if count == 1 else "optimizers")
    return Report(
        title=title,
        compared=_compared(result_sets),
        network_shape="-".join(str(size) for size in (784, *result_sets[0].config["network"]["hidden"], 1)),
        replica=any(variant_of(result_set) == "seed-2018" for result_set in result_sets),
        command=command,
        date=date,
        generator=f"reportgen {reportgen.__version__}",
        takeaway=analysis.takeaway,
        findings=analysis.findings,
        experiments=[_experiment(result_set, result) for result_set, result in zip(result_sets, analysis.experiments)],
        network=network,
        backprop=backprop,
        methods=methods,
        shared_code=shared_code(methods),
        titles={method.name: method.title for method in methods},
        figures=_figure_views(drawn, analysis.experiments),
        quirk_effects=analysis.quirk_effects,
        claims=claims.evaluate(result_sets, analysis.experiments, sweeps),
        references=_cited(methods, network, backprop),
        data_files=DATA_FILES,
        latex_table=LATEX_TABLE,
        sweep=sweeps,
        verification=verification,
        omitted=_omitted(result_sets, analysis, sweeps),
        without_library=[method for method in methods if method.runs not in {check.subject for check in verification.parity}],
        citation=citation(title, reportgen.__version__, [result_set.key for result_set in result_sets], date),
    )
