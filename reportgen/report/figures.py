"""Every figure of an experiment's report, drawn from its ResultSet and analysis.

The main cost figure draws the panels ``reportgen.analysis.curves.main_panels``
computes the plotted resolution from (methods, scale, y-range, height in
pixels), so what the overlap analysis measures is what is drawn. Every figure
is ``drawing.WIDTH`` inches wide with legends of ``drawing.TEXT`` points,
below the axes. Every curve, band and marker is named for the SVG's hover
titles. The wall-clock figure is in ``wallclock``, the overlap figures in
``overlap_figures``. Style and output bytes come from ``reportgen.report.drawing``.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from reportgen.analysis import ExperimentAnalysis  # noqa: E402
from reportgen.analysis import curves  # noqa: E402
from reportgen.analysis.events import Marker  # noqa: E402
from reportgen.analysis.tables import MethodRow  # noqa: E402
from reportgen.formatting import number, percent  # noqa: E402
from reportgen.report.drawing import (  # noqa: E402
    DPI, TEXT, VARIANT_COLOURS, WIDTH, Figure, FigureJob, draw, epoch_numbers, figure_slug, finished_figure, letter_span, hover, legend_below, line_style, literal,
    method_name, stack_panels,
)
from reportgen.report.schedule_figures import schedule_figure, scheduled  # noqa: E402
from reportgen.report.overlap_figures import overlap_figure, overlap_matrix_figure  # noqa: E402
from reportgen.report.wallclock import wallclock_figure  # noqa: E402
from reportgen.training.results import ResultSet  # noqa: E402


MARKER_STYLE = {"diverged": ("*", "#D00000", "red star"), "converging": ("*", "#8B4513", "brown star")}
MAIN_TITLE = "Total Cost per Training"
LEGEND_COLUMNS = 2
LABEL_CHARACTERS = 27  # a legend label wraps here, so two columns fit in WIDTH
OUTLINED_BANDS = 3  # a panel of this many methods or fewer outlines each band: few enough edges to follow


def _label(row: MethodRow) -> str:
    """A legend entry: letter and title, wrapped under the title."""
    return textwrap.fill(row.title, LABEL_CHARACTERS, initial_indent=f"{row.letter}  ", subsequent_indent="     ")


def _letters(rows: list[MethodRow]) -> str:
    """"a-i" for consecutive letters, else "a, c, e"."""
    letters = [row.letter for row in rows]
    single = all(len(letter) == 1 for letter in letters)  # two-letter labels (aa, ab) are listed
    consecutive = single and len(letters) > 2 and all(ord(b) - ord(a) == 1 for a, b in zip(letters, letters[1:]))
    return f"{letters[0]}\u2013{letters[-1]}" if consecutive else ", ".join(letters)


def band_label(result_set: ResultSet) -> str:
    """What a shaded band shows: at each epoch the lowest and highest of the seeds' runs (with few seeds no narrower quantile means much)."""
    return f"band: min\u2013max over {len(result_set.seeds)} seeds"


def _draw_curves(axes, result_set: ResultSet, rows: list[MethodRow], linewidth: float, bands: bool, outlined: bool = False) -> None:
    """Each row's median line and, with several seeds and ``bands``, its min-max band: ``outlined`` draws each band's edges
    in the method's colour and style, so bands that lie on each other can still be told apart."""
    median, low, high = curves.seed_summary(result_set)
    epochs = epoch_numbers(result_set)
    banded = bands and len(result_set.seeds) > 1
    for row in rows:
        position = result_set.method_index(row.method)
        colour, style = line_style(row.method, row.letter)
        name = method_name(row, result_set.experiment)
        hover(axes.plot(epochs, median[position], color=colour, linestyle=style, linewidth=linewidth, label=_label(row))[0], f"{name}: median over seeds" if banded else name)
        if banded:
            edges = {"edgecolor": colour, "linewidth": 1.0, "linestyle": style} if outlined else {"linewidth": 0}
            band = axes.fill_between(epochs, low[position], high[position], facecolor=to_rgba(colour, 0.08 if outlined else 0.15), **edges)
            hover(band, f"{name}: {band_label(result_set)}")
    if banded:  # one legend entry says what every band shows
        axes.fill_between([], [], [], facecolor=to_rgba("grey", 0.3), edgecolor="grey" if outlined else "none", linewidth=1.0 if outlined else 0,
                          label=f"line: median\n{band_label(result_set)}")


def _draw_markers(axes, markers: list[Marker]) -> None:
    for marker in markers:
        shape, colour, _ = MARKER_STYLE[marker.kind]
        hover(axes.plot([marker.epoch], [marker.cost], marker=shape, markersize=18, color=colour, markeredgecolor="black", zorder=5)[0], marker.caption)
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
    """The 2018 figure: every method's cost per epoch, linewidth 3, markers computed by the analysis; in the panels
    ``curves.main_panels`` lays out (the replica's one linear panel; else a log panel above the gradient-free methods')."""
    panels = curves.main_panels(result_set)
    by_name = {row.method: row for row in result.rows}
    figure = plt.figure()
    title = MAIN_TITLE if result_set.experiment == "seed-2018" else f"{MAIN_TITLE} ({result_set.experiment})"
    laid, groups = [], []
    for panel in panels:
        axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
        rows = [by_name[name] for name in panel.methods if name in by_name]
        groups.append(rows)
        _draw_curves(axes, result_set, rows, curves.MAIN_LINE_WIDTH_POINTS, bands=True, outlined=len(rows) <= OUTLINED_BANDS)
        _draw_markers(axes, [marker for marker in result.markers if marker.method in panel.methods])
        if panel.log:
            axes.set_yscale("log")
        axes.set_ylim(panel.low, panel.high)
        axes.set_xlim(1, result_set.epochs)
        axes.set_xlabel("epoch")
        laid.append((axes, panel.height / DPI))
    top = laid[0][0]
    top.set_title(literal(title))
    cost = f"total cost over {result_set.data['n_train']} training images"
    if len(panels) == 1:
        top.set_ylabel(f"{cost} (log scale)" if panels[0].log else cost)
        layout = ""
    else:
        top.set_ylabel("total cost (log scale)")
        for (axes, _), rows, panel in zip(laid[1:], groups[1:], panels[1:]):
            axes.set_ylabel("total cost")
            axes.set_title(f"{_letters(rows)}, which take no gradient: their own linear range", fontsize=TEXT)
        upper, lower = panels[0], panels[1]
        factor = _pixel_factor(upper)
        layout = (
            f"Top: {_letters(groups[0])} on a {'log' if upper.log else 'linear'} scale"
            + (f" (one pixel is a factor of {number(factor)} in cost)" if upper.log else f" (one pixel is {number(upper.resolution)} cost units)")
            + f"; bottom: {_letters(groups[1])}, which take no gradient, on a linear range of their own (one pixel is {number(lower.resolution)} cost units). "
            "Each panel's y-range holds every seed's curve. "
        )
    stack_panels(figure, WIDTH, laid, [{"ncol": LEGEND_COLUMNS, "fontsize": TEXT}] * len(laid))
    seeds = len(result_set.seeds)
    spread = f"median over {seeds} seeds; {band_label(result_set)} at each epoch" if seeds > 1 else f"seed {result_set.seeds[0]}"
    shape = "Line chart" if len(panels) == 1 else "Two stacked line charts"
    alt = (
        f"{shape} of the total training cost per epoch of {len(result.rows)} methods, labelled {letter_span([row.letter for row in result.rows])}, over {result_set.epochs} epochs ({result_set.experiment}, {spread}). "
        + (f"Upper panel {_letters(groups[0])} on a {'log' if panels[0].log else 'linear'} scale, lower panel {_letters(groups[1])}. " if len(panels) > 1 else "")
        + f"{_extremes(result)} {_marker_sentences(result.markers)}"
    )
    resolution = ""
    if len(panels) == 1 and panels[0].log:
        resolution = (
            f"Log scale: one pixel (a hundredth of an inch) of this plot is a factor of {number(_pixel_factor(panels[0]))} in cost; "
            f"the axis spans at most {curves.LOG_DECADES} decades below the highest cost, and lower costs (numerically zero) lie below it. "
        )
    elif len(panels) == 1:
        resolution = f"One pixel (a hundredth of an inch) of this plot is {number(panels[0].resolution)} cost units. "
    caption = (
        f"{title}: the sum of the per-sample costs over one epoch, as the 2018 script logged it ({spread}). "
        f"{layout}{resolution}"  # the stars are listed under the figure, not repeated here
    )
    return finished_figure(figure, figure_slug(result_set.experiment, "cost"), "cost", title, alt.strip(), caption.strip())


def _pixel_factor(panel: curves.Panel) -> float:
    """The factor in cost one pixel of a log panel spans (NaN on a linear one)."""
    return 10 ** ((math.log10(panel.high) - math.log10(panel.low)) / panel.height) if panel.log else math.nan


def log_cost_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    _draw_curves(axes, result_set, result.rows, 1.5, bands=True)
    axes.set_yscale("log")
    axes.set_xlim(1, result_set.epochs)
    axes.set_xlabel("epoch")
    axes.set_ylabel("total cost (log scale)")
    axes.axhline(result.target_cost, color="grey", linewidth=1, linestyle=":", label="target")
    title = f"Cost per epoch on a log scale ({result_set.experiment})"
    axes.set_title(literal(title))
    stack_panels(figure, WIDTH, [(axes, 3.6)], [{"ncol": LEGEND_COLUMNS, "fontsize": TEXT}])
    reached = [row for row in result.rows if row.epochs_to_target]
    fastest = min(reached, key=lambda row: row.epochs_to_target) if reached else None
    target = (
        f"{len(reached)} of {len(result.rows)} methods reach the target {number(result.target_cost)} (dotted line); "
        + (f"{fastest.letter} ({fastest.title}) first, at epoch {fastest.epochs_to_target}." if fastest else "")
    )
    bands = f" Line: median over seeds; {band_label(result_set)} at each epoch." if len(result_set.seeds) > 1 else ""
    alt = f"Line chart of the cost per epoch of every method on a logarithmic y axis ({result_set.experiment}). {_extremes(result)} {target}"
    caption = f"The same costs on a log scale, which separates the methods that converge.{bands} {target}"
    return finished_figure(figure, figure_slug(result_set.experiment, "cost-log"), "cost", title, alt.strip(), caption.strip())


def small_multiples_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    rows = results[0].rows
    columns = 3
    lines = -(-len(rows) // columns)
    figure, grid = plt.subplots(lines, columns, figsize=(WIDTH, 1.9 * lines), sharex=True, sharey=True, squeeze=False)
    handles = []
    for axes, row in zip(grid.flat, rows):
        for colour, result_set in zip(VARIANT_COLOURS, result_sets):
            if row.method not in [spec.name for spec in result_set.methods]:
                continue
            index = result_set.method_index(row.method)
            median, low, high = (values[index] for values in curves.seed_summary(result_set))
            epochs = epoch_numbers(result_set)
            seeds = len(result_set.seeds)
            name = method_name(row, result_set.experiment)
            hover(axes.plot(epochs, median, color=colour, linewidth=1.5)[0], name)
            if seeds > 1:
                hover(axes.fill_between(epochs, low, high, color=colour, alpha=0.2, linewidth=0), f"{name}: {band_label(result_set)}")
            if len(handles) < len(result_sets):
                handles.append(Line2D([], [], color=colour, linewidth=1.5, label=literal(f"{result_set.experiment} ({seeds} seed{'s' if seeds != 1 else ''})")))
        axes.set_title(textwrap.shorten(_label(row).replace("\n", " "), 30, placeholder="\u2026"), fontsize=9)
        axes.set_yscale("log")
        axes.yaxis.set_minor_locator(NullLocator())  # 12 panels of minor ticks cost bytes and time, not information
    for axes in list(grid.flat)[len(rows) :]:
        axes.axis("off")
    for axes in grid[-1]:
        axes.set_xlabel("epoch")
    figure.supylabel("total cost (log scale)")
    figure.tight_layout()
    handles.append(Patch(color="grey", alpha=0.3, linewidth=0, label="line: median over seeds; band: min\u2013max over the seeds"))
    legend_below(figure, handles, ncol=1, fontsize=TEXT)
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
    title = "Cost per method, both variants" if len(result_sets) > 1 else "Cost per method"
    return finished_figure(figure, "cost-small-multiples", "cost", title, alt, caption)


def accuracy_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    figure, grid = plt.subplots(1, len(result_sets), figsize=(WIDTH, 3.6), sharey=True, squeeze=False)
    summary = []
    for axes, result_set, result in zip(grid[0], result_sets, results):
        median, _, _ = curves.seed_summary(result_set, "test_accuracy")
        for position, row in enumerate(result.rows):
            colour, style = line_style(row.method, row.letter)
            line = axes.plot(epoch_numbers(result_set), median[result_set.method_index(row.method)], color=colour, linestyle=style, linewidth=1.5, label=_label(row))[0]
            hover(line, f"{method_name(row, result_set.experiment)}: median over seeds")
        axes.set_title(literal(result_set.experiment))
        axes.set_xlabel("epoch")
        accuracies = [row.test_accuracy for row in result.rows]
        extremes = [(word, [row.letter for row in result.rows if row.test_accuracy == value], value) for word, value in (("highest", max(accuracies)), ("lowest", min(accuracies)))]
        summary.append(f"{result_set.experiment}: " + ", ".join(f"{word} final accuracy {percent(value)} ({', '.join(letters)})" for word, letters, value in extremes))
    grid[0][0].set_ylabel(f"test accuracy ({result_sets[0].data.get('n_test', '?')} held-out images)")
    figure.tight_layout()
    handles = {line.get_label(): line for axes in grid[0] for line in axes.get_lines()}  # every method of any experiment, once
    legend_below(figure, list(handles.values()), ncol=LEGEND_COLUMNS, fontsize=TEXT)
    alt = "Line charts of the held-out test accuracy per epoch for every method. " + "; ".join(summary) + "."
    steps = ", ".join(f"{result.experiment}: {number(100 * result.accuracy_step)} points" for result in results)
    caption = (
        "Test accuracy per epoch: the fraction of held-out images with (output > 0.5) equal to the label (median over seeds). "
        f"One image is one step of accuracy ({steps}), so curves that meet are ties."
    )
    return finished_figure(figure, "accuracy", "accuracy", "Test accuracy per epoch", alt, caption)


def draw_all(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], executor=None) -> list[Figure]:
    """Every figure in report order: setup, cost (an experiment's schedules after its main cost figure), accuracy, wall-clock,
    overlap (on ``executor``'s workers when given)."""
    pairs = list(zip(result_sets, analyses))
    jobs: list[FigureJob] = [(setup_figure, (result_sets[0],))]
    for pair in pairs:
        jobs += [(main_cost_figure, pair), *([(schedule_figure, pair)] if scheduled(pair[0]) else []), (log_cost_figure, pair)]
    jobs += [(figure, (result_sets, analyses)) for figure in (small_multiples_figure, accuracy_figure, wallclock_figure)]
    # The overlap figures serve the Overlap analysis, which an experiment with no pairs to compare does not have.
    jobs += [(figure, pair) for pair in pairs if pair[1].overlaps for figure in (overlap_figure, overlap_matrix_figure)]
    return draw(jobs, executor)
