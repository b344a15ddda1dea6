"""What every figure shares: the matplotlib style, the line style of each method, and deterministic SVG/PNG/PDF bytes.

Output is deterministic: a fixed SVG hash salt, no dates or version strings
in the metadata, glyphs as paths (DejaVu Sans ships with matplotlib), so the
same results give the same bytes on every machine. Element ids in each SVG
are prefixed with the figure's slug, so all figures can be inlined into one
page. An artist given a name with ``hover`` gets an SVG ``<title>`` child, which
a browser shows as a tooltip on hover, with no script.

Sizes. A figure's geometry is in pixels of ``DPI`` (100 per inch: the overlap
analysis measures in them); the PNG is written at ``PNG_DPI`` for sharp
images in the Markdown. The HTML scales each SVG to the page width, on a
390-pixel-wide phone to ``PHONE_WIDTH_PIXELS``: ``readable_points`` gives the font
size that stays ``PHONE_TEXT_PIXELS`` tall there, and ``stack_panels`` lays
out axes of exact heights with their legends below them.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any, Callable
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.transforms import ScaledTranslation  # noqa: E402

from reportgen.analysis.curves import FIGURE_DPI  # noqa: E402

DPI = FIGURE_DPI
PNG_DPI = 200
# How wide a figure is on a 390-pixel-wide phone: templates/style.css pads the body 1.25rem (20 px) and the
# chart card 0.5rem plus a 1-pixel border on each side, which leaves 390 - 40 - 18 pixels for the SVG.
PHONE_WIDTH_PIXELS = 332
PHONE_TEXT_PIXELS = 8.0
HOVER_PREFIX = "hover-"
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

# The later methods, aliases and plugins (letters m on), by letter: Paul Tol's vibrant colours, solid then dashed,
# so no two of the next fourteen letters look alike.
LATER_STYLES = tuple((colour, style) for style in ("-", "--") for colour in ("#EE7733", "#0077BB", "#33BBEE", "#EE3377", "#CC3311", "#009988", "#555555"))
FIRST_LATER_LETTER = "m"
VARIANT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")  # one per experiment where experiments share a plot


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


def method_name(row, experiment: str) -> str:
    """A method's curve named for its hover title, from its analysis row: "g. Adam (textbook)"."""
    return f"{row.letter}. {row.title} ({experiment})"


def epoch_numbers(result_set) -> np.ndarray:
    """The x values of a curve: epochs counted from 1."""
    return np.arange(1, result_set.epochs + 1)


def letter_span(letters: list[str]) -> str:
    """"a to l" for more than two letters that run from a, else the letters listed: how a text names the methods."""
    running = len(letters) > 2 and letters == [chr(ord("a") + index) for index in range(len(letters))]
    return f"a to {letters[-1]}" if running else ", ".join(letters)


def line_style(name: str, letter: str) -> tuple[str, str]:
    """The 2018 article's twelve by name; any other method by its letter (m, n, ..., z, aa, ab, ...)."""
    if name in LINE_STYLES:
        return LINE_STYLES[name]
    position = 0
    for character in letter:  # bijective base 26: a = 1, z = 26, aa = 27
        position = 26 * position + ord(character) - ord("a") + 1
    return LATER_STYLES[(position - ord(FIRST_LATER_LETTER) + ord("a") - 1) % len(LATER_STYLES)]


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


def readable_points(figure_width: float) -> float:
    """The font size (points) of text that is PHONE_TEXT_PIXELS tall when a figure ``figure_width`` inches wide
    is shown PHONE_WIDTH_PIXELS wide, rounded up to a quarter point."""
    return math.ceil(4 * PHONE_TEXT_PIXELS * figure_width * 72 / PHONE_WIDTH_PIXELS) / 4


def phone_pixels(points: float, figure_width: float) -> float:
    """How tall text of ``points`` is when a figure ``figure_width`` inches wide is shown PHONE_WIDTH_PIXELS wide."""
    return points * PHONE_WIDTH_PIXELS / (figure_width * 72)


WIDTH = 6.4  # inches: every figure of an experiment
TEXT = readable_points(WIDTH)  # legend text, PHONE_TEXT_PIXELS tall on a phone


def hover(artist, text: str):
    """Name ``artist`` in the SVG: it becomes a group with a <title> (a tooltip). Returns the artist."""
    names = artist.figure.__dict__.setdefault("_reportgen_hover", {})
    gid = f"{HOVER_PREFIX}{len(names)}"
    names[gid] = text
    artist.set_gid(gid)
    return artist


def _titled_svg(svg: str, names: dict[str, str]) -> str:
    """Each named group gets its <title> as first child; a named image (matplotlib writes no group for one) is
    wrapped in a group that has it. The id goes (no reference needs it)."""
    def titled(match: re.Match) -> str:
        return f"<g><title>{escape(names[match.group(1)])}</title>"

    def titled_image(match: re.Match) -> str:
        return f"<g><title>{escape(names[match.group(2)])}</title>{match.group(1)}{match.group(3)}</g>"

    svg = re.sub(rf'<g id="({HOVER_PREFIX}\d+)">', titled, svg)
    return re.sub(rf'(<image [^>]*?) id="({HOVER_PREFIX}\d+)"([^>]*/>)', titled_image, svg)


def stack_panels(figure, width: float, panels: list, legends: list, *, gap: float = 0.12) -> None:
    """Lay ``panels`` (axes with their heights in inches) out top to bottom in a figure ``width`` inches wide.

    Each axes is exactly its height; above it its title, below it its tick labels and x label, then its
    legend (the keyword arguments of ``axes.legend`` given in ``legends``, or None for none), starting at
    the figure's left margin. The figure's height follows from the measured decorations, so nothing overlaps;
    a legend wider than the figure is an error.
    """
    renderer = figure.canvas.get_renderer()
    figure.set_size_inches(width, sum(height for _, height in panels) + 2.0 * len(panels))
    for axes, height in panels:
        axes.set_position((0.2, 0.3, 0.6, height / figure.get_figheight()))
    inches = 1.0 / figure.dpi
    decorations = []  # (above, below, left, right) of each axes, in inches: text sizes are in points, so they hold at any figure size
    for axes, _ in panels:
        box, tight = axes.get_window_extent(renderer), axes.get_tightbbox(renderer)
        decorations.append(((tight.y1 - box.y1) * inches, (box.y0 - tight.y0) * inches, (box.x0 - tight.x0) * inches, (tight.x1 - box.x1) * inches))
    left = max(part[2] for part in decorations) + gap
    right = max(part[3] for part in decorations) + gap
    measured = []
    for (axes, _), legend, (above, below, _, _) in zip(panels, legends, decorations):
        height = 0.0
        if legend is not None:
            offset = ScaledTranslation(gap - left, -(below + gap), figure.dpi_scale_trans)
            drawn = axes.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=axes.transAxes + offset, borderaxespad=0, frameon=False, **legend)
            extent = drawn.get_window_extent(renderer)
            if extent.width * inches > width - 2 * gap:
                raise ValueError(f"a legend {extent.width * inches:.2f} inches wide does not fit a figure {width} inches wide: {[text.get_text() for text in drawn.get_texts()]}")
            height = extent.height * inches + gap
        measured.append((above, below + height))
    total = sum(above + height + below + gap for (_, height), (above, below) in zip(panels, measured)) + gap
    figure.set_size_inches(width, total)
    top = total - gap
    for (axes, height), (above, below) in zip(panels, measured):
        top -= above + height
        axes.set_position((left / width, top / total, (width - left - right) / width, height / total))
        top -= below + gap


def legend_below(figure, handles: list, *, gap: float = 0.12, **options):
    """A legend of ``handles`` under everything the figure draws: the figure grows by its height at the bottom,
    every axes keeps its size and place in inches. Call it after the layout (tight_layout or positions)."""
    renderer = figure.canvas.get_renderer()
    width, height = figure.get_size_inches()
    legend = figure.legend(handles=handles, loc="lower center", frameon=False, **options)
    extra = legend.get_window_extent(renderer).height / figure.dpi + 2 * gap
    boxes = [(axes, axes.get_position(original=True)) for axes in figure.axes]
    figure.set_size_inches(width, height + extra)
    for axes, box in boxes:
        axes.set_position((box.x0, (box.y0 * height + extra) / (height + extra), box.width, box.height * height / (height + extra)))
    legend.set_bbox_to_anchor((0.5, gap / (height + extra)), transform=figure.transFigure)
    return legend


def finished_figure(figure, slug: str, section: str, title: str, alt: str, caption: str) -> Figure:
    outputs = {}
    for format in ("svg", "png", "pdf"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=format, metadata=METADATA[format], **({"dpi": PNG_DPI} if format == "png" else {}))
        outputs[format] = buffer.getvalue()
    names = figure.__dict__.get("_reportgen_hover", {})
    plt.close(figure)
    svg = _scoped_svg(_titled_svg(outputs["svg"].decode("utf-8"), names), slug)
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
