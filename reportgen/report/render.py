"""Render the report: draw the figures, gather the plain data, fill the templates, write the files.

The data path ends here: ResultSets and their ``Analysis`` (computed by the
caller) -> figures -> a :class:`context.Report` -> ``templates/`` -> files::

    index.html            one self-contained page: inline CSS, SVG, MathML and its font; no script
    report.md             the same content for GitHub, images from figures/
    figures/<slug>.svg|png|pdf
    data/metrics.csv|json the raw metrics (reportgen.report.export)
    data/controls.csv     the control runs behind the overlap analysis
    data/sweep.csv        every cell of a learning-rate sweep, when one was run
    data/verification.csv the checks of the Verification section (reportgen.verification)
    paper/<slug>.pdf, paper/results.tex   for a paper: figures and a booktabs table
    CITATION.cff          how to cite the report (reportgen.report.citation)

Every file is written atomically and is byte-identical for the same results
and package versions: no wall-clock time except the citation's date, which
is ``SOURCE_DATE_EPOCH``'s when that is set and today's otherwise.
"""

from __future__ import annotations

import base64
from pathlib import Path

from markupsafe import Markup

from reportgen import atomic
from reportgen.analysis import Analysis
from reportgen.errors import ConfigError
from reportgen.report import export, figure_cache, figures, mathfont, sweep_figures
from reportgen.report.context import DATA_FILES, LATEX_TABLE, SWEEP_DATA_FILE, Report, build_date, gather
from reportgen.report.permalinks import add_permalinks
from reportgen.report.templates import environment, latex_environment, markdown_environment, templates_dir
from reportgen.sweep.analysis import SweepAnalysis
from reportgen.training.results import ResultSet
from reportgen.verification import Verification


# Files this small are also put in the page, so its download links work when index.html is copied alone.
EMBED_LIMIT = 64 * 1024
MEDIA_TYPES = {".csv": "text/csv", ".tex": "application/x-tex", ".cff": "application/x-yaml"}


def embedded(outputs: dict[str, bytes | str]) -> dict[str, str]:
    """path -> data: URL, for each small data, LaTeX or citation file."""
    found = {}
    for path, content in outputs.items():
        media = MEDIA_TYPES.get(Path(path).suffix)
        if media is None:
            continue
        data = content.encode("utf-8") if isinstance(content, str) else content
        if len(data) <= EMBED_LIMIT:
            found[path] = f"data:{media};charset=utf-8;base64,{base64.b64encode(data).decode('ascii')}"
    return found


def render_html(report: Report, downloads: dict[str, str] | None = None) -> str:
    """The page; ``downloads`` maps a file's path to the data: URL its links use instead."""
    css = mathfont.PLACEHOLDER + (templates_dir() / "style.css").read_text(encoding="utf-8")
    page = environment(True).get_template("index.html.j2").render(report=report, css=Markup(css), downloads=downloads or {})
    return mathfont.embed(add_permalinks(page))


def render_markdown(report: Report) -> str:
    return markdown_environment().get_template("report.md.j2").render(report=report)


def render_latex_table(report: Report) -> str:
    return latex_environment().get_template("results.tex.j2").render(report=report)


def render(
    result_sets: list[ResultSet],
    analysis: Analysis,
    out_dir: Path,
    *,
    verification: Verification,
    command: str = "reportgen build",
    sweeps: list[SweepAnalysis] | None = None,
    figure_cache_dir: Path | None = None,
    executor=None,
) -> list[Path]:
    """Draw and write the whole report into ``out_dir``; return the files written.

    ``verification`` is ``reportgen.verification.verify()``, run by the caller (the command line
    warns about failed checks; tests reuse one run).

    With ``figure_cache_dir``, figures drawn for the same inputs before are reused from there;
    with ``executor`` (a local process pool), figures are drawn on its workers.
    """
    if not result_sets:
        raise ConfigError("report: no results to render; run `reportgen build` first")
    out_dir = Path(out_dir)
    date = build_date()

    def draw() -> list:
        return figures.draw_all(result_sets, analysis.experiments, executor) + (sweep_figures.draw_all(sweeps, executor) if sweeps else [])

    drawn = draw() if figure_cache_dir is None else figure_cache.drawn(figure_cache_dir, result_sets, analysis.experiments, sweeps, draw)
    report = gather(result_sets, analysis, drawn, command=command, sweeps=sweeps, date=date, verification=verification)

    outputs: dict[str, bytes | str] = {}
    for figure in drawn:
        outputs[f"figures/{figure.slug}.svg"] = figure.svg
        outputs[f"figures/{figure.slug}.png"] = figure.png
        outputs[f"figures/{figure.slug}.pdf"] = figure.pdf
        outputs[f"paper/{figure.slug}.pdf"] = figure.pdf
    outputs[DATA_FILES[0]] = export.to_csv(result_sets)
    outputs[DATA_FILES[1]] = export.to_json(result_sets)
    outputs[DATA_FILES[2]] = export.controls_csv(result_sets)
    outputs[DATA_FILES[3]] = export.ablations_csv(analysis.quirk_effects)
    outputs[DATA_FILES[4]] = export.verification_csv(verification)
    if sweeps:
        outputs[SWEEP_DATA_FILE] = export.sweep_csv(sweeps)
    outputs[LATEX_TABLE] = render_latex_table(report)
    outputs[report.citation.cff_file] = report.citation.cff
    outputs["report.md"] = render_markdown(report)
    outputs["index.html"] = render_html(report, embedded(outputs))

    written = []
    for relative, content in outputs.items():
        path = out_dir / relative
        if isinstance(content, bytes):
            atomic.write_bytes(path, content)
        else:
            atomic.write_text(path, content)
        written.append(path)
    return written
