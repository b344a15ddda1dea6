"""Every figure of an experiment's report, drawn from its ResultSet and analysis.

The main cost figure uses the geometry ``reportgen.analysis.curves`` computes
the plotted resolution from (axes height in pixels, y-range, line width).
Style and output bytes come from ``reportgen.report.drawing``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from reportgen.analysis import ExperimentAnalysis  # noqa: E402
from reportgen.analysis import curves  # noqa: E402
from reportgen.analysis.events import Marker  # noqa: E402
from reportgen.analysis.tables import MethodRow  # noqa: E402
from reportgen.formatting import number, percent  # noqa: E402
from reportgen.report.drawing import DPI, Figure, FigureJob, draw, figure_slug, finished_figure, line_style, literal  # noqa: E402
from reportgen.training.results import ResultSet  # noqa: E402


VARIANT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
MARKER_STYLE = {"diverged": ("*", "#D00000", "red star"), "converging": ("*", "#8B4513", "brown star")}
MAIN_TITLE = "Total Cost per Training"
MAIN_SIZE = (10.0, 5.6)  # inches; the axes box below makes it MAIN_PLOT_HEIGHT_PIXELS tall
MAIN_AXES = (0.07, 0.1, 0.52, curves.MAIN_PLOT_HEIGHT_PIXELS / (MAIN_SIZE[1] * DPI))


def _label(row: MethodRow) -> str:
    return f"{row.letter}  {row.title}"


def _epochs(result_set: ResultSet) -> np.ndarray:
    return np.arange(1, result_set.epochs + 1)


def band_label(result_set: ResultSet) -> str:
    """What a shaded band shows: the whole range of the seeds' runs (with few seeds no narrower quantile means much)."""
    return f"band: min-max over {len(result_set.seeds)} seeds"


def _draw_curves(axes, result_set: ResultSet, rows, linewidth: float, bands: bool) -> None:
    median, low, high = curves.seed_summary(result_set)
    epochs = _epochs(result_set)
    for position, row in enumerate(rows):
        colour, style = line_style(row.method)
        axes.plot(epochs, median[position], color=colour, linestyle=style, linewidth=linewidth, label=_label(row))
        if bands and len(result_set.seeds) > 1:
            axes.fill_between(epochs, low[position], high[position], color=colour, alpha=0.15, linewidth=0)
    if bands and len(result_set.seeds) > 1:  # one legend entry says what every band shows
        axes.fill_between([], [], [], color="grey", alpha=0.3, linewidth=0, label=f"line: median; {band_label(result_set)}")


def _draw_markers(axes, markers: list[Marker]) -> None:
    for marker in markers:
        shape, colour, _ = MARKER_STYLE[marker.kind]
        axes.plot([marker.epoch], [marker.cost], marker=shape, markersize=18, color=colour, markeredgecolor="black", zorder=5)
        axes.annotate(marker.letter, (marker.epoch, marker.cost), xytext=(8, 8), textcoords="offset points", fontweight="bold")


def _marker_sentences(markers: list[Marker]) -> str:
    return " ".join(f"{MARKER_STYLE[marker.kind][2].capitalize()}: {marker.caption}." for marker in markers)


def _extremes(result: ExperimentAnalysis) -> str:
    ranked = sorted(result.rows, key=lambda row: row.rank)
    first, last = ranked[0], ranked[-1]
    return (
        f"Lowest median final cost {first.letter} ({first.title}) {number(first.final_cost, first.final_cost_digits)}; "
        f"highest {last.letter} ({last.title}) {number(last.final_cost, last.final_cost_digits)}."
    )


def setup_figure(result_set: ResultSet) -> Figure:
    samples, labels = result_set.samples, result_set.sample_labels
    figure, axes_row = plt.subplots(1, len(samples), figsize=(1.1 * len(samples), 1.5))
    for axes, image, label in zip(np.atleast_1d(axes_row), samples, labels):
        axes.imshow(image, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
        axes.set_title(f"label {label}", fontsize=9)
        axes.axis("off")
    counts = ", ".join(f"{int(np.sum(labels == value))} of digit {value}" for value in np.unique(labels))
    alt = f"{len(samples)} training images of 28 x 28 pixels shown in grey scale ({counts}), each titled with its label."
    caption = (
        f"A few of the {result_set.data['n_train']} training digits ({result_set.data.get('source', 'MNIST')}); "
        "the network sees each as 784 pixel values in [0, 1]."
    )
    return finished_figure(figure, "setup-samples", "setup", "Training digits", alt, caption)


def main_cost_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    """The 2018 figure: every method's cost per epoch, linewidth 3, markers computed by the analysis."""
    figure = plt.figure(figsize=MAIN_SIZE)
    axes = figure.add_axes(MAIN_AXES)
    _draw_curves(axes, result_set, result.rows, curves.MAIN_LINE_WIDTH_POINTS, bands=True)
    _draw_markers(axes, result.markers)
    axes.set_ylim(*curves.cost_plot_range(result_set))
    axes.set_xlim(1, result_set.epochs)
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"total cost over {result_set.data['n_train']} training images")
    title = MAIN_TITLE if result_set.experiment == "seed-2018" else f"{MAIN_TITLE} ({result_set.experiment})"
    axes.set_title(literal(title))
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=9)
    seeds = len(result_set.seeds)
    spread = f"median over {seeds} seeds; {band_label(result_set)}" if seeds > 1 else f"seed {result_set.seeds[0]}"
    alt = (
        f"Line chart of the total training cost per epoch of {len(result.rows)} methods, labelled a to "
        f"{result.rows[-1].letter}, over {result_set.epochs} epochs ({result_set.experiment}, {spread}). "
        f"{_extremes(result)} {_marker_sentences(result.markers)}"
    )
    caption = (
        f"{title}: the sum of the per-sample costs over one epoch, as the 2018 script logged it ({spread}). "
        f"One pixel of this plot is {number(curves.plotted_resolution(result_set))} cost units. "
        f"{_marker_sentences(result.markers)}"
    )
    return finished_figure(figure, figure_slug(result_set.experiment, "cost"), "cost", title, alt.strip(), caption.strip())


def log_cost_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    figure, axes = plt.subplots(figsize=(9.0, 5.5))
    figure.subplots_adjust(left=0.08, right=0.62)
    _draw_curves(axes, result_set, result.rows, 1.5, bands=True)
    axes.set_yscale("log")
    axes.set_xlim(1, result_set.epochs)
    axes.set_xlabel("epoch")
    axes.set_ylabel("total cost (log scale)")
    axes.axhline(result.target_cost, color="grey", linewidth=1, linestyle=":")
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    title = f"Cost per epoch on a log scale ({result_set.experiment})"
    axes.set_title(literal(title))
    reached = [row for row in result.rows if row.epochs_to_target]
    fastest = min(reached, key=lambda row: row.epochs_to_target) if reached else None
    target = (
        f"{len(reached)} of {len(result.rows)} methods reach the target {number(result.target_cost)} (dotted line); "
        + (f"{fastest.letter} ({fastest.title}) first, at epoch {fastest.epochs_to_target}." if fastest else "")
    )
    bands = f" Line: median over seeds; {band_label(result_set)}." if len(result_set.seeds) > 1 else ""
    alt = f"Line chart of the cost per epoch of every method on a logarithmic y axis ({result_set.experiment}). {_extremes(result)} {target}"
    caption = f"The same costs on a log scale, which separates the methods that converge.{bands} {target}"
    return finished_figure(figure, figure_slug(result_set.experiment, "cost-log"), "cost", title, alt.strip(), caption.strip())


def small_multiples_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    rows = results[0].rows
    columns = 4
    lines = -(-len(rows) // columns)
    figure, grid = plt.subplots(lines, columns, figsize=(10.0, 2.2 * lines), sharex=True, sharey=True)
    for position, (axes, row) in enumerate(zip(grid.flat, rows)):
        for colour, result_set in zip(VARIANT_COLOURS, result_sets):
            if row.method not in [spec.name for spec in result_set.methods]:
                continue
            index = result_set.method_index(row.method)
            median, low, high = (values[index] for values in curves.seed_summary(result_set))
            epochs = _epochs(result_set)
            seeds = len(result_set.seeds)
            axes.plot(epochs, median, color=colour, linewidth=1.5, label=literal(f"{result_set.experiment} ({seeds} seed{'s' if seeds != 1 else ''})"))
            if seeds > 1:
                axes.fill_between(epochs, low, high, color=colour, alpha=0.2, linewidth=0)
        axes.set_title(_label(row), fontsize=9)
        axes.set_yscale("log")
        axes.yaxis.set_minor_locator(NullLocator())  # 12 panels of minor ticks cost bytes and time, not information
        if position == 0:
            axes.legend(fontsize=7, frameon=False)
    for axes in list(grid.flat)[len(rows) :]:
        axes.axis("off")
    figure.supxlabel("epoch")
    figure.supylabel("total cost (log scale)")
    figure.suptitle("line: median over seeds; band: min-max over the seeds", fontsize=9)
    figure.tight_layout()
    names = " and ".join(result_set.experiment for result_set in result_sets)
    finals = []
    for row in rows:
        values = []
        for result in results:
            match = [other for other in result.rows if other.method == row.method]
            values.append(number(match[0].final_cost) if match else "-")
        finals.append(f"{row.letter} {' vs '.join(values)}")
    alt = f"{len(rows)} small panels, one per method, each with the cost per epoch of {names} on a log scale. Final costs ({' vs '.join(r.experiment for r in results)}): {'; '.join(finals)}."
    bands = "; ".join(f"{result_set.experiment}: " + (f"median, {band_label(result_set)}" if len(result_set.seeds) > 1 else f"seed {result_set.seeds[0]}, no band") for result_set in result_sets)
    caption = f"One panel per method: {names} side by side ({bands})."
    return finished_figure(figure, "cost-small-multiples", "cost", "Cost per method, both variants", alt, caption)


def accuracy_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    figure, grid = plt.subplots(1, len(result_sets), figsize=(5.0 * len(result_sets) + 2.5, 4.5), sharey=True, squeeze=False)
    summary = []
    for axes, result_set, result in zip(grid[0], result_sets, results):
        median, _, _ = curves.seed_summary(result_set, "test_accuracy")
        for position, row in enumerate(result.rows):
            colour, style = line_style(row.method)
            axes.plot(_epochs(result_set), median[position], color=colour, linestyle=style, linewidth=1.5, label=_label(row))
        axes.set_title(literal(result_set.experiment))
        axes.set_xlabel("epoch")
        accuracies = [row.test_accuracy for row in result.rows]
        extremes = [(word, [row.letter for row in result.rows if row.test_accuracy == value], value) for word, value in (("highest", max(accuracies)), ("lowest", min(accuracies)))]
        summary.append(f"{result_set.experiment}: " + ", ".join(f"{word} final accuracy {percent(value)} ({', '.join(letters)})" for word, letters, value in extremes))
    grid[0][0].set_ylabel(f"test accuracy ({result_sets[0].data.get('n_test', '?')} held-out images)")
    grid[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    figure.tight_layout()
    alt = "Line charts of the held-out test accuracy per epoch for every method. " + "; ".join(summary) + "."
    steps = ", ".join(f"{result.experiment}: {number(100 * result.accuracy_step)} points" for result in results)
    caption = (
        "Test accuracy per epoch: the fraction of held-out images with (output > 0.5) equal to the label (median over seeds). "
        f"One image is one step of accuracy ({steps}), so curves that meet are ties."
    )
    return finished_figure(figure, "accuracy", "accuracy", "Test accuracy per epoch", alt, caption)


def wallclock_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    figure, (bars, cumulative) = plt.subplots(1, 2, figsize=(11.0, 4.5))
    rows = results[0].rows
    width = 0.8 / len(results)
    letters = sorted({row.letter for result in results for row in result.rows})  # experiments may train different methods
    for offset, (colour, result) in enumerate(zip(VARIANT_COLOURS, results)):
        positions = [letters.index(row.letter) + offset * width for row in result.rows]
        bars.bar(positions, [row.seconds_per_epoch for row in result.rows], width, color=colour, label=literal(result.experiment))
    bars.set_xticks(np.arange(len(letters)) + width * (len(results) - 1) / 2, letters)
    bars.set_ylabel("seconds per epoch (mean)")
    bars.set_title("Time per epoch")
    bars.legend(frameon=False)
    result_set, result = result_sets[0], results[0]
    median, _, _ = curves.seed_summary(result_set)
    clock, _, _ = curves.seed_summary(result_set, "epoch_seconds")
    for position, row in enumerate(result.rows):
        colour, style = line_style(row.method)
        cumulative.plot(np.nancumsum(clock[position]), median[position], color=colour, linestyle=style, linewidth=1.5, label=row.letter)
    cumulative.set_yscale("log")
    cumulative.set_xlabel("cumulative seconds")
    cumulative.set_ylabel("total cost (log scale)")
    cumulative.set_title(literal(f"Cost against time ({result_set.experiment})"))
    cumulative.legend(ncol=2, fontsize=7, frameon=False, loc="upper right")
    figure.tight_layout()
    slowest = max(rows, key=lambda row: row.seconds_per_epoch)
    fastest = min(rows, key=lambda row: row.seconds_per_epoch)
    alt = (
        f"Bar chart of mean seconds per epoch per method and a line chart of cost against cumulative seconds. "
        f"In {results[0].experiment} the slowest is {slowest.letter} ({slowest.title}) at {number(slowest.seconds_per_epoch)} s, "
        f"the fastest {fastest.letter} ({fastest.title}) at {number(fastest.seconds_per_epoch)} s per epoch."
    )
    caption = "Wall-clock cost of each method: seconds per epoch (left) and cost reached against time spent (right)."
    return finished_figure(figure, "wallclock", "wallclock", "Wall-clock time", alt, caption)


def overlap_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    """Difference of each overlapping pair, with the tolerance and the main figure's line width, and a zoom on the first pair."""
    means, _, _ = curves.seed_summary(result_set)
    epochs = _epochs(result_set)
    names = [spec.name for spec in result_set.methods]
    letters = {row.method: row.letter for row in result.rows}
    figure, grid = plt.subplots(1, len(result.overlaps) + 1, figsize=(4.0 * (len(result.overlaps) + 1), 3.8), squeeze=False)
    sentences = []
    for axes, stats in zip(grid[0], result.overlaps):
        difference = means[names.index(stats.first)] - means[names.index(stats.second)]
        axes.plot(epochs, difference, color="black", linewidth=1.5)
        line = curves.LINE_WIDTH_PIXELS * stats.resolution
        axes.axhspan(-line, line, color="#88CCEE", alpha=0.4, linewidth=0, label="main figure line width")
        axes.axhline(stats.tolerance, color="#CC6677", linestyle="--", linewidth=1, label="tolerance")
        axes.axhline(-stats.tolerance, color="#CC6677", linestyle="--", linewidth=1)
        pair = f"{letters[stats.first]} - {letters[stats.second]}"
        axes.set_title(f"difference {pair}")
        axes.set_xlabel("epoch")
        axes.legend(fontsize=7, frameon=False)
        separation = f"first beyond tolerance at epoch {stats.separation_epoch}" if stats.separation_epoch else "never beyond tolerance"
        sentences.append(
            f"{pair}: at most {number(stats.max_abs_diff)} apart ({number(stats.max_abs_diff / stats.resolution)} pixels), {separation}"
        )
    grid[0][0].set_ylabel("cost difference")
    zoom = grid[0][-1]
    if result.overlaps:
        stats = result.overlaps[0]
        for name in (stats.first, stats.second):
            colour, style = line_style(name)
            zoom.plot(epochs, means[names.index(name)], color=colour, linestyle=style, linewidth=2, label=letters[name])
        zoom.set_title(f"zoom: {letters[stats.first]} and {letters[stats.second]}")
        zoom.set_xlabel("epoch")
        zoom.legend(frameon=False)
    figure.tight_layout()
    alt = f"Difference plots of overlapping cost curves in {result_set.experiment} and a zoom on the first pair. " + "; ".join(sentences) + "."
    caption = (
        "Where the curves that hide each other in the main figure differ. Blue band: one line width of the main figure; "
        "dashed: the separation tolerance (1% of the pair's range). Curves: the median over seeds, as plotted."
    )
    return finished_figure(figure, figure_slug(result_set.experiment, "overlap"), "overlap", f"Overlapping curves ({result_set.experiment})", alt, caption)


def overlap_matrix_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    matrix = np.array(result.overlap_matrix, dtype=float)
    letters = [row.letter for row in result.rows]
    figure, axes = plt.subplots(figsize=(6.0, 5.0))
    shown = np.where(np.eye(len(letters), dtype=bool), np.nan, np.maximum(matrix, 1e-2))
    image = axes.imshow(shown, cmap="viridis", norm=LogNorm(vmin=1e-2, vmax=np.nanmax(shown, initial=1.0)))  # initial: one method leaves only the NaN diagonal
    axes.set_xticks(range(len(letters)), letters)
    axes.set_yticks(range(len(letters)), letters)
    axes.grid(False)
    colourbar = figure.colorbar(image, ax=axes)
    colourbar.set_label("largest gap in pixels of the main figure")
    axes.set_title(literal(f"How far apart the curves get ({result_set.experiment})"))
    figure.tight_layout()
    hidden = [
        f"{letters[i]}-{letters[j]}"
        for i in range(len(letters))
        for j in range(i + 1, len(letters))
        if matrix[i, j] <= curves.LINE_WIDTH_PIXELS
    ]
    within = f"Pairs never further apart than one line width ({number(curves.LINE_WIDTH_PIXELS)} pixels): {', '.join(hidden) if hidden else 'none'}."
    alt = f"Heat map of a {len(letters)} by {len(letters)} matrix, methods a to {letters[-1]} on both axes, coloured by the largest gap between two cost curves in pixels (log scale). {within}"
    caption = f"All pairs: the largest distance between two plotted cost curves (median over seeds), in pixels of the main figure. {within}"
    return finished_figure(figure, figure_slug(result_set.experiment, "overlap-matrix"), "overlap", f"Overlap matrix ({result_set.experiment})", alt, caption)


def draw_all(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], executor=None) -> list[Figure]:
    """Every figure in report order: setup, cost, accuracy, wall-clock, overlap (on ``executor``'s workers when given)."""
    pairs = list(zip(result_sets, analyses))
    jobs: list[FigureJob] = [(setup_figure, (result_sets[0],))]
    jobs += [(figure, pair) for pair in pairs for figure in (main_cost_figure, log_cost_figure)]
    jobs += [(figure, (result_sets, analyses)) for figure in (small_multiples_figure, accuracy_figure, wallclock_figure)]
    jobs += [(figure, pair) for pair in pairs for figure in (overlap_figure, overlap_matrix_figure)]
    return draw(jobs, executor)
