"""The sweep's figures, drawn from a ``reportgen.sweep.analysis.SweepAnalysis``: final cost against the swept value,
a stability map of every cell, and the robust range of each method.

One panel per method and swept hyperparameter; same style, determinism and
output formats as ``reportgen.report.drawing`` (whose ``Figure`` these return).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from reportgen.formatting import number  # noqa: E402
from reportgen.report.drawing import TEXT, WIDTH, Figure, draw, figure_slug, finished_figure, hover, line_style  # noqa: E402
from reportgen.sweep.analysis import STATUSES, Series, SweepAnalysis  # noqa: E402

# Paul Tol's muted teal, sand and rose: told apart with colour-blindness, and in grey by lightness.
STATUS_COLOURS = {"converged": "#44AA99", "no progress": "#DDCC77", "diverged": "#CC6677"}
PARAMETER_NAMES = {"lr": "learning rate", "eta": "noise scale η", "max_lr": "onecycle max_lr"}
PANEL_COLUMNS = 2  # in the page's figure width, WIDTH inches, so that a phone can read them
DIVERGED_HEIGHT = 0.96  # where a diverged seed's cross sits, as a fraction of the panel height
COST_LEGEND, STATUS_LEGEND = 0.95, 0.45  # inches above the panels for the legend: three lines, one line


def _label(series: Series) -> str:
    """The sweep's name on two lines, to fit the page's figure width in a text a phone can read."""
    return f"{series.letter}  {series.title}\n{PARAMETER_NAMES[series.parameter]}"


def _method(series: Series) -> str:
    """The sweep named for a hover title: "g. Adam, learning rate"."""
    return f"{series.letter}. {series.title}, {PARAMETER_NAMES[series.parameter]}"


def _width(series: Series) -> str:
    if series.robust_low == series.robust_high:
        return "best value only" + (", at the grid edge" if series.best_at_edge else "")
    return f"{'≥ ' if series.robust_open else ''}{number(series.robust_decades, 2)} decades"


def _panels(count: int, height: float, legend: float):
    """``count`` panels ``height`` inches tall, two a line, under ``legend`` inches left for the legend."""
    columns = min(PANEL_COLUMNS, count)
    lines = math.ceil(count / columns)
    figure, grid = plt.subplots(lines, columns, figsize=(WIDTH, height * lines + legend), squeeze=False)
    for spare in grid.flat[count:]:
        spare.set_visible(False)
    return figure, grid.flat[:count]


def cost_figure(result: SweepAnalysis) -> Figure:
    figure, panels = _panels(len(result.series), 3.0, COST_LEGEND)
    for axes, series in zip(panels, result.series):
        colour, _ = line_style(series.method, series.letter)
        values = np.array(series.values)
        costs = np.array([cell.final_cost for cell in series.cells])  # (values, seeds)
        diverged = np.array([[status == "diverged" for status in cell.status] for cell in series.cells])
        kept = ~diverged & np.isfinite(costs)
        xs = np.repeat(values[:, None], costs.shape[1], axis=1)
        name = _method(series)
        hover(axes.scatter(xs[kept], costs[kept], s=18, color=colour, alpha=0.6), f"{name}: final cost of each seed")
        top = blended_transform_factory(axes.transData, axes.transAxes)
        crosses = axes.scatter(xs[diverged], np.full(diverged.sum(), DIVERGED_HEIGHT), transform=top, marker="x", s=30, color=STATUS_COLOURS["diverged"])
        hover(crosses, f"{name}: seeds that diverged")
        medians = np.array([cell.median_cost for cell in series.cells])
        finite = np.isfinite(medians)
        hover(axes.plot(values[finite], medians[finite], color=colour, linewidth=2)[0], f"{name}: median final cost over seeds")
        hover(axes.axvline(series.default.value, color="#555555", linestyle="--", linewidth=1), f"{name}: the value the experiment uses, {number(series.default.value, 3)}")
        if series.has_best:
            best = axes.plot([series.best.value], [series.best.median_cost], marker="o", markersize=10, markerfacecolor="none",
                             markeredgecolor="black", linestyle="none")[0]
            hover(best, f"{name}: best median, {number(series.best.value, 3)} (final cost {number(series.best.median_cost)})")
        axes.set_xscale("log")
        # the crosses are placed in axes height, so autoscaling would not see them: span the grid
        axes.set_xlim(values[0] / 10 ** 0.2, values[-1] * 10 ** 0.2)
        if kept.any() and (costs[kept] > 0).all():
            axes.set_yscale("log")
        axes.set_title(_label(series), fontsize=TEXT)
        axes.set_xlabel(PARAMETER_NAMES[series.parameter])
        axes.set_ylabel("final cost")
    # one legend for all panels, in grey: each panel has its own colour
    legend = [
        Line2D([], [], marker="o", color="#777777", alpha=0.6, linestyle="none", label="one seed"),
        Line2D([], [], marker="x", color=STATUS_COLOURS["diverged"], linestyle="none", label="diverged seed"),
        Line2D([], [], color="#777777", linewidth=2, label="median over seeds"),
        Line2D([], [], color="#555555", linestyle="--", linewidth=1, label="value the experiment uses"),
        Line2D([], [], marker="o", markersize=10, markerfacecolor="none", markeredgecolor="black", linestyle="none", label="best median"),
    ]
    figure.legend(handles=legend, loc="upper center", ncol=2, fontsize=TEXT, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - COST_LEGEND / figure.get_figheight()))
    seeds = len(result.seeds)
    return finished_figure(
        figure,
        figure_slug(result.experiment, "sweep-cost"),
        "sweep",
        f"Final cost against the swept value ({result.experiment})",
        f"Final training cost against the learning rate (and eta) on a log scale for {len(result.series)} sweeps, "
        f"one dot per seed, a line through the median of {seeds} seeds.",
        f"The cost after epoch {result.epochs} ({result.cost_metric}), one dot per seed ({seeds} seeds), the line "
        "through the median; crosses at the top are seeds that diverged (they count as infinitely bad in the median). "
        "Dashed: the value the experiment uses; circle: the best median.",
    )


def stability_figure(result: SweepAnalysis) -> Figure:
    # per panel: title, rotated tick labels and axis label need about 1.6 inches besides the seed rows
    figure, panels = _panels(len(result.series), 1.6 + 0.25 * len(result.seeds), STATUS_LEGEND)
    colours = ListedColormap([STATUS_COLOURS[status] for status in STATUSES])
    for axes, series in zip(panels, result.series):
        codes = np.array([[STATUSES.index(status) for status in cell.status] for cell in series.cells]).T  # (seeds, values)
        cells = axes.imshow(codes, cmap=colours, vmin=-0.5, vmax=len(STATUSES) - 0.5, aspect="auto", interpolation="nearest")
        hover(cells, f"{_method(series)}: each run converged, made no progress or diverged")
        for column, cell in enumerate(series.cells):
            for row, epoch in enumerate(cell.diverged_epoch):
                if epoch:
                    axes.text(column, row, str(epoch), ha="center", va="center", fontsize=7, color="black")
        axes.set_xticks(range(len(series.cells)), [number(value, 3) for value in series.values], rotation=90, fontsize=7)
        axes.set_yticks(range(len(result.seeds)), [str(seed) for seed in result.seeds], fontsize=7)
        axes.grid(False)
        axes.set_title(_label(series), fontsize=TEXT)
        axes.set_xlabel(PARAMETER_NAMES[series.parameter])
        axes.set_ylabel("seed")
    figure.legend(handles=[Patch(color=STATUS_COLOURS[status], label=status) for status in STATUSES],
                  loc="upper center", ncol=len(STATUSES), fontsize=TEXT, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - STATUS_LEGEND / figure.get_figheight()))
    return finished_figure(
        figure,
        figure_slug(result.experiment, "sweep-stability"),
        "sweep",
        f"Stability map ({result.experiment})",
        f"For each of {len(result.series)} sweeps a grid of swept value by seed, each cell coloured converged, "
        "no progress or diverged, diverged cells labelled with the epoch of divergence.",
        f"Each cell is one run. Diverged: the run stopped, or its cost rose above its start and stayed there (the number is "
        f"the epoch); no progress: the final cost is less than {result.progress_fraction:.0%} below the first epoch's; "
        "converged: every other run.",
    )


def robustness_figure(result: SweepAnalysis) -> Figure:
    figure, axes = plt.subplots(figsize=(WIDTH, 1.2 + 0.5 * len(result.series)))
    rows = list(reversed(result.series))  # first series at the top
    for row, series in enumerate(rows):
        colour, _ = line_style(series.method, series.letter)
        name = _method(series)
        grid = axes.plot([series.values[0], series.values[-1]], [row, row], color="#BBBBBB", linewidth=1)[0]
        hover(grid, f"{name}: the grid swept, {number(series.values[0], 3)} to {number(series.values[-1], 3)}")
        if math.isfinite(series.robust_decades):
            bar = axes.plot([series.robust_low, series.robust_high], [row, row], color=colour, linewidth=8, solid_capstyle="butt",
                            marker="|", markersize=14, markeredgewidth=2)[0]  # the tick keeps a one-point range visible
            hover(bar, f"{name}: robust from {number(series.robust_low, 3)} to {number(series.robust_high, 3)}")
            hover(axes.plot([series.best.value], [row], marker="o", color="black", markersize=5)[0], f"{name}: best value, {number(series.best.value, 3)}")
            width = _width(series)
        else:
            width = "every value diverged"
        default = axes.plot([series.default.value], [row], marker="D", markerfacecolor="white", markeredgecolor="black", markersize=6)[0]
        hover(default, f"{name}: the value the experiment uses, {number(series.default.value, 3)}")
        axes.annotate(width, (1.0, row), xycoords=("axes fraction", "data"), xytext=(8, 0), textcoords="offset points", va="center", fontsize=TEXT)
    axes.set_yticks(range(len(rows)), [_label(series) for series in rows], fontsize=TEXT)
    axes.set_xscale("log")
    axes.set_xlabel("swept value (learning rate or η)")
    axes.grid(axis="y", visible=False)
    axes.margins(x=0.05, y=0.5 / len(rows))
    figure.tight_layout()
    return finished_figure(
        figure,
        figure_slug(result.experiment, "sweep-robustness"),
        "sweep",
        f"Robust range of each method ({result.experiment})",
        f"For {len(result.series)} sweeps a bar over the range of values whose median final cost is within "
        f"{result.robust_fraction:.0%} of the best, with its width in decades.",
        f"Bar: the contiguous range of grid values around the best whose median final cost is within "
        f"{result.robust_fraction:.0%} of the best (or {result.robust_floor:.0%} of its first-epoch cost), its width in decades written beside it (≥ when it reaches the edge of the "
        "grid); dot: the best value; white diamond: the value the experiment uses; grey: the grid swept.",
    )


def draw_all(sweeps: list[SweepAnalysis], executor=None) -> list[Figure]:
    """Each sweep's three figures (on ``executor``'s workers when given)."""
    return draw([(figure, (result,)) for result in sweeps for figure in (cost_figure, stability_figure, robustness_figure)], executor)
