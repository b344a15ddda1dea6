"""What every figure shares: the matplotlib style, the line style of each method, and deterministic SVG/PNG/PDF bytes.

Output is deterministic: a fixed SVG hash salt, no dates or version strings
in the metadata, glyphs as paths (DejaVu Sans ships with matplotlib), so the
same results give the same bytes on every machine. Element ids in each SVG
are prefixed with the figure's slug, so all figures can be inlined into one
page.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402

from reportgen.analysis.curves import FIGURE_DPI  # noqa: E402

DPI = FIGURE_DPI
STYLE = {
    "svg.hashsalt": "reportgen",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": True,
}


METADATA = {
    "svg": {"Date": None, "Creator": None, "Format": None, "Type": None},
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}

# Colour-blind-safe colours (Paul Tol's muted scheme plus Okabe-Ito black,
# orange and blue) with line styles, chosen so the curves that coincide
# (a, b, c, i and j, k) differ in style as well as colour.
LINE_STYLES = {
    "sgd": ("#332288", "-"),
    "momentum": ("#88CCEE", "--"),
    "nesterov": ("#44AA99", ":"),
    "adagrad": ("#117733", "-"),
    "adadelta": ("#CC6677", "-"),
    "rmsprop": ("#999933", "-"),
    "adam": ("#882255", "-"),
    "nadam": ("#AA4499", "--"),
    "gaussian_noise": ("#DDCC77", "-."),
    "noise_training": ("#000000", "-"),
    "noise_gaussian": ("#E69F00", "--"),
    "adam_noise": ("#0072B2", "-."),
}

FALLBACK_STYLE = ("#777777", "-")


@dataclass(frozen=True)
class Figure:
    slug: str
    section: str  # "setup" | "cost" | "accuracy" | "wallclock" | "overlap" | "sweep"
    title: str
    alt: str
    caption: str
    svg: str  # ids prefixed with the slug, no XML declaration or doctype
    png: bytes
    pdf: bytes


def line_style(name: str) -> tuple[str, str]:
    return LINE_STYLES.get(name, FALLBACK_STYLE)


def literal(user_text: str) -> str:
    """User text (experiment names) shown literally: a $ would otherwise start matplotlib mathtext."""
    return user_text.replace("$", r"\$")


def figure_slug(*parts: str) -> str:
    """A file stem and SVG id prefix: letters, digits and dashes only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")


def _coordinates(match: re.Match) -> str:
    # Two decimals of a point (1/7200 inch) are finer than any screen; the rest is bytes.
    return re.sub(r"-?\d+\.\d+", lambda number: f"{float(number.group(0)):.2f}".rstrip("0").rstrip("."), match.group(0))


def _scoped_svg(svg: str, slug: str) -> str:
    """A lean SVG for inlining: no XML prolog; only referenced ids kept, prefixed with the slug;
    path coordinates to 0.01 pt; the stylesheet scoped to this figure."""
    svg = svg[svg.index("<svg") :]
    referenced = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
    svg = re.sub(r'\sid="([^"]+)"', lambda match: f' id="{slug}-{match.group(1)}"' if match.group(1) in referenced else "", svg)
    svg = re.sub(r'\sd="[^"]*"', lambda match: re.sub(r"\s*\n\s*", " ", _coordinates(match)), svg)
    svg = re.sub(r'\s(?:x|y|width|height)="-?\d+\.\d+"', _coordinates, svg)
    svg = re.sub(r'href="#([^"]+)"', lambda match: f'href="#{slug}-{match.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda match: f"url(#{slug}-{match.group(1)})", svg)
    svg = re.sub(r"\n\s+", "\n", svg)
    svg = svg.replace("<svg ", f'<svg id="{slug}" ', 1)
    return svg.replace("*{", f"#{slug} *{{")


def finished_figure(figure, slug: str, section: str, title: str, alt: str, caption: str) -> Figure:
    outputs = {}
    for format in ("svg", "png", "pdf"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=format, metadata=METADATA[format])
        outputs[format] = buffer.getvalue()
    plt.close(figure)
    svg = _scoped_svg(outputs["svg"].decode("utf-8"), slug)
    return Figure(slug, section, title, alt, caption, svg, outputs["png"], outputs["pdf"])


FigureJob = tuple[Callable[..., Figure], tuple]  # a figure function and its arguments


def _draw(task: tuple[int, FigureJob], shared: Any = None) -> Figure:
    _, (function, arguments) = task
    with plt.rc_context(STYLE):
        return function(*arguments)


def draw(jobs: list[FigureJob], executor=None) -> list[Figure]:
    """Draw every job, in order. Figures are independent of each other, so with an
    ``executor`` (a process pool) they are drawn on its workers at the same time."""
    tasks = list(enumerate(jobs))
    if executor is None or len(tasks) < 2:
        return [_draw(task) for task in tasks]
    drawn: dict[int, Figure] = {}
    for (index, _), outcome in executor.run(_draw, tasks, None):
        if isinstance(outcome, BaseException):
            raise outcome
        drawn[index] = outcome
    return [drawn[index] for index in range(len(tasks))]
