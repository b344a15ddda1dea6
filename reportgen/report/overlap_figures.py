"""Where the curves that hide each other in the main cost figure differ: each analysed pair's difference,
and the matrix of every pair's largest gap in pixels of the main figure, the line width marked."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from reportgen.analysis import ExperimentAnalysis, curves  # noqa: E402
from reportgen.formatting import number  # noqa: E402
from reportgen.report.drawing import (  # noqa: E402
    TEXT, WIDTH, Figure, epoch_numbers, figure_slug, finished_figure, letter_span, hover, legend_below, line_style, literal, method_name,
)
from reportgen.training.results import ResultSet  # noqa: E402


def overlap_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    """Difference of each overlapping pair, with the tolerance and the main figure's line width, and a zoom on the first pair."""
    means, _, _ = curves.seed_summary(result_set)
    epochs = epoch_numbers(result_set)
    names = [spec.name for spec in result_set.methods]
    letters = {row.method: row.letter for row in result.rows}
    rows_by = {row.method: row for row in result.rows}
    count = len(result.overlaps) + 1
    columns = min(2, count)
    figure, grid = plt.subplots(-(-count // columns), columns, figsize=(WIDTH, 2.9 * -(-count // columns)), squeeze=False)
    panels = list(grid.flat)
    sentences = []
    for axes, stats in zip(panels, result.overlaps):
        difference = means[names.index(stats.first)] - means[names.index(stats.second)]
        pair = f"{letters[stats.first]} - {letters[stats.second]}"
        hover(axes.plot(epochs, difference, color="black", linewidth=1.5)[0], f"{pair} ({result_set.experiment}): difference of the plotted medians")
        if math.isfinite(stats.resolution):  # a linear panel: one line width is a fixed cost difference
            line = curves.LINE_WIDTH_PIXELS * stats.resolution
            axes.axhspan(-line, line, color="#88CCEE", alpha=0.4, linewidth=0)
        axes.axhline(stats.tolerance, color="#CC6677", linestyle="--", linewidth=1)
        axes.axhline(-stats.tolerance, color="#CC6677", linestyle="--", linewidth=1)
        axes.set_title(f"difference {pair}")
        axes.set_xlabel("epoch")
        separation = f"first beyond tolerance at epoch {stats.separation_epoch}" if stats.separation_epoch else "never beyond tolerance"
        sentences.append(f"{pair}: at most {number(stats.max_abs_diff)} apart ({number(stats.pixels)} pixels), {separation}")
    panels[0].set_ylabel("cost difference")
    zoom = panels[len(result.overlaps)]
    if result.overlaps:
        stats = result.overlaps[0]
        for name in (stats.first, stats.second):
            colour, style = line_style(name, letters[name])
            hover(zoom.plot(epochs, means[names.index(name)], color=colour, linestyle=style, linewidth=2, label=letters[name])[0], method_name(rows_by[name], result_set.experiment))
        zoom.set_title(f"zoom: {letters[stats.first]} and {letters[stats.second]}")
        zoom.set_xlabel("epoch")
        zoom.legend(frameon=False, fontsize=TEXT)
    for axes in panels[count:]:
        axes.axis("off")
    figure.tight_layout()
    legend_below(figure, [Patch(color="#88CCEE", alpha=0.4, linewidth=0, label="main figure line width"),
                          Line2D([], [], color="#CC6677", linestyle="--", linewidth=1, label="tolerance")], ncol=2, fontsize=TEXT)
    alt = f"Difference plots of overlapping cost curves in {result_set.experiment} and a zoom on the first pair. " + "; ".join(sentences) + "."
    caption = (
        "Where the curves that hide each other in the main figure differ. Blue band: one line width of the main figure; "
        "dashed: the separation tolerance (1% of the pair's range). Curves: the median over seeds, as plotted."
    )
    return finished_figure(figure, figure_slug(result_set.experiment, "overlap"), "overlap", f"Overlapping curves ({result_set.experiment})", alt, caption)


def _cell_text(value: float) -> str:
    """A gap in pixels at a glance, four characters at most: whole pixels from 10, tenths from 1, hundredths below
    (without the leading zero), "<.01" under the colour scale's floor."""
    if value >= 9.95:
        return f"{value:.0f}"
    if value >= 0.995:
        return f"{value:.1f}"
    return f"{value:.2f}".lstrip("0") if value >= 0.005 else "<.01"


def overlap_matrix_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    matrix = np.array(result.overlap_matrix, dtype=float)
    letters = [row.letter for row in result.rows]
    side, margin = 4.25, 0.45  # inches: a square matrix, tick labels below and title above; the colour bar right of it
    figure = plt.figure(figsize=(WIDTH, side + 2 * margin))
    axes = figure.add_axes((margin / WIDTH, margin / (side + 2 * margin), side / WIDTH, side / (side + 2 * margin)))
    off_diagonal = ~np.eye(len(letters), dtype=bool)
    shown = np.where(off_diagonal, np.maximum(matrix, 1e-2), np.nan)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#DDDDDD")
    norm = LogNorm(vmin=1e-2, vmax=max(np.nanmax(shown, initial=1.0), 10 * curves.LINE_WIDTH_PIXELS))  # initial: one method leaves only the NaN diagonal
    image = axes.imshow(np.where(np.isfinite(shown), shown, np.nan), cmap=cmap, norm=norm)
    size = 9 if len(letters) > 8 else 11
    for i in range(len(letters)):
        for j in range(len(letters)):
            if i == j:
                continue
            if not math.isfinite(matrix[i, j]):
                axes.text(j, i, "\u2013", ha="center", va="center", fontsize=size, color="black")
                continue
            red, green, blue, _ = cmap(norm(shown[i, j]))
            dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45  # relative luminance: white text on dark cells
            axes.text(j, i, _cell_text(matrix[i, j]), ha="center", va="center", fontsize=size, color="white" if dark else "black")
    axes.set_xticks(range(len(letters)), letters)
    axes.set_yticks(range(len(letters)), letters)
    axes.grid(False)
    colourbar = figure.colorbar(image, cax=axes.inset_axes((1.19, 0.0, 0.05, 1.0)))  # as tall as the matrix; room for the line width's label on its left
    colourbar.ax.grid(False)
    colourbar.set_label("largest gap in pixels of the main figure")
    threshold = curves.LINE_WIDTH_PIXELS
    colourbar.ax.axhline(threshold, color="white", linewidth=4)
    colourbar.ax.axhline(threshold, color="#D00000", linewidth=2)
    colourbar.ax.annotate(f"line width\n{number(threshold, 3)} px", (0, threshold), xycoords=("axes fraction", "data"), xytext=(-4, 0),
                          textcoords="offset points", ha="right", va="center", fontsize=9, color="#D00000")
    axes.set_title(literal(f"How far apart the curves get ({result_set.experiment})"))
    hidden = [
        f"{letters[i]}-{letters[j]}"
        for i in range(len(letters))
        for j in range(i + 1, len(letters))
        if matrix[i, j] <= curves.LINE_WIDTH_PIXELS
    ]
    split = not np.isfinite(matrix[off_diagonal]).all()
    panels = " Grey cells with a dash: the two are drawn in different panels, so they never hide each other." if split else ""
    within = f"Pairs never further apart than one line width ({number(curves.LINE_WIDTH_PIXELS)} pixels): {', '.join(hidden) if hidden else 'none'}."
    alt = (
        f"Heat map of a {len(letters)} by {len(letters)} matrix, methods {letter_span(letters)} on both axes, coloured by the largest gap between "
        f"two cost curves in pixels (log scale), each cell labelled with its number; the colour bar marks one line width.{panels} {within}"
    )
    caption = (
        "All pairs: the largest distance between two plotted cost curves (median over seeds), in pixels of the main figure, written in each cell "
        f"(gaps under 0.01 pixels are coloured as 0.01). The red line on the colour bar is one line width: cells below it are pairs that hide each other.{panels} {within}"
    )
    return finished_figure(figure, figure_slug(result_set.experiment, "overlap-matrix"), "overlap", f"Overlap matrix ({result_set.experiment})", alt, caption)
