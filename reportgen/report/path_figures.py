"""The pictures of runs on problems with a known optimum, drawn from the runs handed in (training and tuning are
done elsewhere): every method's paths on the contour map of a 2-D surface, and the distance to the optimum against
steps.

Contours are of f - f(optimum) on a log scale, at every half decade from the map's highest value down, at most
``LEVEL_DECADES`` decades (the surfaces span many: Rosenbrock on its usual map runs from 0 to about 2,500, Beale to 180,000), or to the
map's lowest positive value when that is higher; whole decades are labelled. Of several runs (seeds) of a method the
median one, by its final distance to the optimum, is drawn bold and the others thin and translucent; a path draws no
move shorter than ``SMALLEST_MOVE`` of the map (half a pixel), so long runs stay a few bytes a step. A path that
leaves the map is cut at its edge; a run that diverges (NaN or inf) ends in a cross at its last finite point, or
where it last left the map when that point lies off it. With ``animate`` the SVG draws the paths over the steps in pure CSS
(``path_animation``). Style, colours and deterministic bytes as ``reportgen.report.drawing``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from reportgen.formatting import number  # noqa: E402
from reportgen.report.drawing import TEXT, WIDTH, Figure, figure_slug, finished_figure, hover, letter_span, literal, stack_panels  # noqa: E402
from reportgen.report.path_animation import Trace, animated, framed, last_seen, thinned, widened  # noqa: E402

GRID_POINTS = 200  # per axis: f is evaluated on this grid for the contours
LEVEL_DECADES = 8
SMALLEST_MOVE = 0.001  # of the map's width, about half a pixel of the page's figure: a path draws no shorter move
SURFACE = LinearSegmentedColormap.from_list("surface", ["#FFFFFF", "#D5DDE5"])  # light, so every method's colour stands out
CONTOUR_LINE = "#8C9AA8"
BOLD, THIN, THIN_ALPHA = 2.0, 0.8, 0.45  # the median run's line width, the other runs' width and opacity
DIVERGED = {"marker": "X", "markersize": 10, "markeredgecolor": "black", "markeredgewidth": 0.8, "linestyle": "none"}
START = {"marker": "o", "markersize": 10, "markerfacecolor": "white", "markeredgecolor": "black", "markeredgewidth": 1.5, "linestyle": "none"}
OPTIMUM = {"marker": "*", "markersize": 17, "markerfacecolor": "white", "markeredgecolor": "black", "markeredgewidth": 1.2, "linestyle": "none"}
LEGEND = {"ncol": 2, "fontsize": TEXT}
CEILING = 100  # the distance axis's top, in distances of the start


@dataclass(frozen=True)
class MethodRuns:
    """One method's runs on a problem, one array a seed: (steps + 1, 2) points for the paths, (steps + 1,) distances
    to the optimum for the curves, from the start on. A run that diverged holds NaN or inf from there on."""

    letter: str
    title: str
    colour: str
    linestyle: str
    runs: tuple[np.ndarray, ...]

    @property
    def label(self) -> str:
        return f"{self.letter}  {self.title}"

    def name(self, run: int) -> str:
        """A run named for its hover title: "c. Momentum, run 2 of 3"."""
        return f"{self.letter}. {self.title}, run {run + 1} of {len(self.runs)}"


def _finite_steps(run: np.ndarray) -> int:
    """How many of a run's first rows are finite: all of them, or the steps before it diverged."""
    bad = ~np.isfinite(run.reshape(len(run), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else len(run)


def _diverged(run: np.ndarray) -> bool:
    return _finite_steps(run) < len(run)


def _final_distance(run: np.ndarray, optimum: np.ndarray | None) -> float:
    """How far a run ends from the optimum (inf when it diverged): a path's from ``optimum``, a curve's its last value."""
    if _diverged(run):
        return math.inf
    return float(np.hypot(*(run[-1] - optimum))) if optimum is not None else float(run[-1])


def _median_run(runs: tuple[np.ndarray, ...], optimum: np.ndarray | None = None) -> int:
    """The run whose final distance is the median one (the lower of the middle two), diverged runs counting as the furthest."""
    order = sorted(range(len(runs)), key=lambda run: (_final_distance(runs[run], optimum), run))
    return order[(len(runs) - 1) // 2]


def _steps(methods: list[MethodRuns]) -> int:
    """The step budget, which every run has."""
    lengths = {len(run) for method in methods for run in method.runs}
    if len(lengths) > 1:
        raise ValueError(f"runs of different lengths ({', '.join(map(str, sorted(lengths)))} rows): the pictures compare an equal step budget")
    return lengths.pop() - 1


def contour_levels(heights: np.ndarray) -> np.ndarray:
    """Half decades from the highest finite value down to LEVEL_DECADES below it, or to the lowest positive value."""
    shown = heights[np.isfinite(heights) & (heights > 0)]
    top = float(shown.max())
    bottom = max(float(shown.min()), top / 10**LEVEL_DECADES)
    return 10.0 ** (np.arange(math.ceil(2 * math.log10(bottom)), math.floor(2 * math.log10(top)) + 1) / 2)


def _decade_label(level: float) -> str:
    return f"$10^{{{round(math.log10(level))}}}$"


def _contours(axes, f: Callable, bounds, optimum: np.ndarray) -> np.ndarray:
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, GRID_POINTS), np.linspace(y0, y1, GRID_POINTS))
    heights = np.asarray(f(xs, ys), dtype=float) - float(f(*optimum))
    levels = contour_levels(heights)
    # filled between levels as an image: filled contours of this grid are ten times its bytes in an SVG, a smooth shading five
    shading = axes.imshow(heights, cmap=SURFACE, norm=BoundaryNorm(levels, SURFACE.N, extend="both"), origin="lower", extent=(x0, x1, y0, y1),
                          interpolation="nearest", aspect="auto")
    hover(shading, "f - f(optimum) on a log scale, lighter where lower")
    lines = axes.contour(xs, ys, heights, levels=levels, colors=CONTOUR_LINE, linewidths=0.5)
    hover(lines, "contour lines of f - f(optimum), every half decade")
    decades = [level for level in levels if float(math.log10(level)).is_integer()]
    axes.clabel(lines, decades, fmt=_decade_label, fontsize=8, inline_spacing=2)
    return levels


def _point(values) -> str:
    return f"({', '.join(number(float(value), 3) for value in values)})"


def _draw_paths(axes, methods: list[MethodRuns], bounds, optimum: np.ndarray) -> tuple[list[Trace], list[str], list[str]]:
    """Every run's path and divergence cross; the traces to animate, the runs that diverged and the methods that leave the map."""
    (x0, x1), (y0, y1) = bounds
    box = widened(bounds)
    traces, diverged, leaving = [], [], []
    for method in methods:
        bold = _median_run(method.runs, optimum)
        for run, points in enumerate(method.runs):
            kept = np.asarray(points[: _finite_steps(points)], dtype=float)
            name = method.name(run)
            if len(kept) > 1:
                drawn = thinned(kept, SMALLEST_MOVE * (x1 - x0))
                vertices, lengths = framed(kept[drawn], box)
                lengths = lengths[np.cumsum(drawn) - 1]  # each step's: as far as the last point drawn by then
                width, alpha = (BOLD, 1.0) if run == bold else (THIN, THIN_ALPHA)
                line = axes.plot(vertices[:, 0], vertices[:, 1], color=method.colour, linestyle=method.linestyle, linewidth=width, alpha=alpha,
                                 zorder=4 if run == bold else 3, solid_joinstyle="round")[0]
                title = f"{name}{' (median run)' if run == bold and len(method.runs) > 1 else ''}"
                hover(line, title)
                traces.append(Trace(title, lengths, method.linestyle not in ("-", "solid")))
                outside = (kept[:, 0] < x0) | (kept[:, 0] > x1) | (kept[:, 1] < y0) | (kept[:, 1] > y1)
                if outside.any() and method.letter not in leaving:
                    leaving.append(method.letter)
            if len(kept) < len(points):
                diverged.append(_cross(axes, method, run, len(kept), last_seen(kept, bounds)))
    return traces, diverged, leaving


def _cross(axes, method: MethodRuns, run: int, step: int, point) -> str:
    """A cross at ``point``, the last finite point of a run that diverged at ``step``; the run and step named."""
    cross = axes.plot([point[0]], [point[1]], color=method.colour, zorder=6, clip_on=False, **DIVERGED)[0]
    hover(cross, f"{method.name(run)}: diverged (NaN or inf) at step {step}")
    return f"{method.letter} run {run + 1} at step {step}"


def _handles(methods: list[MethodRuns], start, optimum, diverged: bool) -> list:
    """The legend: a line per method, then the markers, then what bold and thin lines mean."""
    handles = [Line2D([], [], color=method.colour, linestyle=method.linestyle, linewidth=BOLD, label=method.label) for method in methods]
    handles += [Line2D([], [], label=f"start {_point(start)}", **START), Line2D([], [], label=f"optimum {_point(optimum)}", **OPTIMUM)]
    if diverged:
        handles.append(Line2D([], [], color="#777777", label="diverged (NaN or inf)", **DIVERGED))
    if max(len(method.runs) for method in methods) > 1:
        handles += [Line2D([], [], color="#777777", linewidth=BOLD, label="the median run"),
                    Line2D([], [], color="#777777", linewidth=THIN, alpha=THIN_ALPHA, label="the other runs")]
    return handles


def _equal_aspect(figure, axes, bounds, handles: list) -> None:
    """Lay the map out a data unit as long across as up: the axes' width is set by the page and its decorations, the height follows."""
    (x0, x1), (y0, y1) = bounds
    stack_panels(figure, WIDTH, [(axes, 4.0)], [{"handles": handles, **LEGEND}])
    width = axes.get_position().width * figure.get_figwidth()
    axes.get_legend().remove()  # else the next layout measures it as the axes' own decoration
    stack_panels(figure, WIDTH, [(axes, width * (y1 - y0) / (x1 - x0))], [{"handles": handles, **LEGEND}])


def _runs_text(methods: list[MethodRuns]) -> str:
    counts = sorted({len(method.runs) for method in methods})
    return "one run each" if counts == [1] else f"{' to '.join(str(count) for count in counts)} runs (seeds) each"


def surface_figure(f: Callable, bounds, methods: list[MethodRuns], start, optimum, *, problem: str, tuning: str, animate: bool = False) -> Figure:
    """Every method's paths on the contour map of ``f`` (vectorised, f(x, y)) over ``bounds`` ((x0, x1), (y0, y1)),
    from ``start`` toward ``optimum``. ``tuning`` says how the learning rates were chosen (the caption states it)."""
    start, optimum = np.asarray(start, dtype=float), np.asarray(optimum, dtype=float)
    steps = _steps(methods)
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    levels = _contours(axes, f, bounds, optimum)
    traces, diverged, leaving = _draw_paths(axes, methods, bounds, optimum)
    hover(axes.plot([start[0]], [start[1]], zorder=7, **START)[0], f"start {_point(start)}")
    hover(axes.plot([optimum[0]], [optimum[1]], zorder=7, **OPTIMUM)[0], f"optimum {_point(optimum)}")
    (x0, x1), (y0, y1) = bounds
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.grid(False)
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    title = f"Paths on {problem}"
    axes.set_title(literal(title))
    _equal_aspect(figure, axes, bounds, _handles(methods, start, optimum, bool(diverged)))
    letters = letter_span([method.letter for method in methods])
    finals = "; ".join(f"{method.letter} {_distance_text(_final_distance(method.runs[_median_run(method.runs, optimum)], optimum))}" for method in methods)
    bold = ", the median one bold" if max(len(method.runs) for method in methods) > 1 else ""
    crosses = f" Crosses: runs that diverged ({'; '.join(diverged)}), at the last finite point or where the path last left the map." if diverged else ""
    cut = f" Paths cut at the map's edge: {', '.join(leaving)}." if leaving else ""
    alt = (
        f"Contour map of {problem} over x from {number(x0)} to {number(x1)} and y from {number(y0)} to {number(y1)}, with the paths of "
        f"{len(methods)} methods ({letters}, {_runs_text(methods)}{bold}) from the start {_point(start)} toward the optimum {_point(optimum)} over {steps} steps. "
        f"Final distance to the optimum of each method's median run: {finals}.{crosses}{cut}"
    )
    caption = (
        f"Every method's path from the same start {_point(start)} (circle) toward the optimum {_point(optimum)} (star), an equal budget of "
        f"{steps} steps, {_runs_text(methods)}{bold}; {tuning}. Contours: f \u2212 f(optimum) on a log scale, a line every half decade from "
        f"{number(levels[0])} to {number(levels[-1])}, whole decades labelled; the lighter, the lower.{crosses}{cut}"
        + (" On screen the paths are drawn over the steps, every method on the same clock (not with reduced motion, nor in print)." if animate else "")
    )
    slug = figure_slug(problem, "paths")
    drawn = finished_figure(figure, slug, "paths", title, alt, caption)
    if not animate:
        return drawn
    return Figure(drawn.slug, drawn.section, drawn.title, drawn.alt, drawn.caption, animated(drawn.svg, slug, traces, steps), drawn.png, drawn.pdf)


def _distance_text(distance: float) -> str:
    return "diverged" if math.isinf(distance) else number(distance, 3)


def _summary(runs: tuple[np.ndarray, ...], steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, lowest and highest distance at each step over the runs; a diverged run counts as infinitely far from then on."""
    table = np.full((len(runs), steps + 1), np.inf)
    for row, run in enumerate(runs):
        kept = _finite_steps(run)
        table[row, :kept] = run[:kept]
    return np.median(table, axis=0), table.min(axis=0), table.max(axis=0)


def distance_figure(methods: list[MethodRuns], *, problem: str, tuning: str) -> Figure:
    """Each method's distance to the optimum against steps on a log scale: the median over its runs, a min-max band
    (the top of the axes where a run diverged), a cross where a run diverged."""
    steps = _steps(methods)
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    values = np.concatenate([np.asarray(run, dtype=float).ravel() for method in methods for run in method.runs])
    values = values[np.isfinite(values)]
    floor = float(values[values > 0].min())
    # a diverging run reaches 1e300 before it overflows: the axis stops CEILING times above the furthest start
    ceiling = CEILING * max(float(run[0]) for method in methods for run in method.runs)
    crosses, medians = [], []
    for method in methods:
        median, low, high = (np.maximum(series, floor) for series in _summary(method.runs, steps))
        shown = np.arange(steps + 1)
        medians.append(axes.plot(shown, np.where(np.isfinite(median), median, np.nan), color=method.colour, linestyle=method.linestyle, linewidth=BOLD,
                                 label=method.label)[0])
        hover(medians[-1], f"{method.letter}. {method.title}: median over {len(method.runs)} runs")
        if len(method.runs) > 1:
            finite = np.isfinite(low)
            band = axes.fill_between(shown[finite], low[finite], np.minimum(high, ceiling)[finite], color=to_rgba(method.colour, 0.15), linewidth=0)
            hover(band, f"{method.letter}. {method.title}: min\u2013max over {len(method.runs)} runs")
        for run, distances in enumerate(method.runs):
            kept = _finite_steps(distances)
            if kept < len(distances):
                crosses.append(_cross(axes, method, run, kept, (kept - 1, np.clip(float(distances[kept - 1]), floor, ceiling))))
    axes.set_yscale("log")
    axes.set_ylim(floor / (ceiling / floor) ** 0.05, ceiling)  # the usual 5% margin below; autoscaling would see the diverging runs' 1e300
    axes.set_xlim(0, steps)
    axes.set_xlabel("step")
    axes.set_ylabel("distance to the optimum (log scale)")
    title = f"Distance to the optimum on {problem}"
    axes.set_title(literal(title))
    legend = [Patch(color="#777777", alpha=0.3, linewidth=0, label="band: min\u2013max of the runs")] if max(len(m.runs) for m in methods) > 1 else []
    if crosses:
        legend.append(Line2D([], [], color="#777777", label="diverged (NaN or inf)", **DIVERGED))
    stack_panels(figure, WIDTH, [(axes, 3.6)], [{"handles": [*medians, *legend], **LEGEND}])
    finals = "; ".join(f"{method.letter} {_distance_text(_final_distance(method.runs[_median_run(method.runs)], None))}" for method in methods)
    diverged = f" Crosses: runs that diverged ({'; '.join(crosses)})." if crosses else ""
    alt = (
        f"Line chart of the distance to the optimum of {problem} against {steps} steps on a log scale for {len(methods)} methods "
        f"({letter_span([method.letter for method in methods])}, {_runs_text(methods)}). Final median distance: {finals}.{diverged}"
    )
    caption = (
        f"The distance to the optimum after each step, an equal budget of {steps} steps; {tuning}. Line: the median over the runs; band: "
        f"the lowest to the highest run. The axis stops at {CEILING} times the distance of the start: a run beyond is off the top, and a band there "
        f"reaches the top.{diverged}"
    )
    return finished_figure(figure, figure_slug(problem, "distance"), "paths", title, alt, caption)
