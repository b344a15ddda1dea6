"""The site's figures beside the paths and distances of ``reportgen.report.path_figures``: the performance profiles
across problems, each problem's tuning (the median best value at each learning rate of the grid) and each problem's
target metric against epochs. Same style, determinism and formats as ``reportgen.report.drawing``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from reportgen.formatting import number  # noqa: E402
from reportgen.report.drawing import TEXT, WIDTH, Figure, figure_slug, finished_figure, hover, letter_span, literal, stack_panels  # noqa: E402
from reportgen.report.path_figures import DIVERGED, MethodRuns  # noqa: E402

LEGEND = {"ncol": 2, "fontsize": TEXT}
CHOSEN = {"marker": "o", "markersize": 7, "markeredgecolor": "black", "markeredgewidth": 0.8, "linestyle": "none"}
BAND_ALPHA = 0.15


def profile_figure(methods: list[MethodRuns], taus: np.ndarray, profiles: np.ndarray, problems: int, r_max: float) -> Figure:
    """Each method's performance profile: the share of the problems it reaches within tau times the fastest median
    time, a step line. ``methods`` give the styles; their runs are unused. The bootstrap bands are left to the scores
    table: ten overlapping bands hide the lines they qualify."""
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    lines = []
    for m, method in enumerate(methods):
        lines.append(axes.step(taus, profiles[m], where="post", color=method.colour, linestyle=method.linestyle, linewidth=2.0, label=method.label)[0])
        hover(lines[-1], f"{method.letter}. {method.title}: {number(profiles[m][0])} of the problems fastest, {number(profiles[m][-1])} within {number(r_max)}x")
    axes.set_xlim(taus[0], taus[-1])
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("tau: time within tau times the fastest method's (steps to the target)")
    axes.set_ylabel("share of the problems")
    title = "Performance profiles"
    axes.set_title(title)
    stack_panels(figure, WIDTH, [(axes, 3.4)], [{"handles": lines, **LEGEND}])
    finals = "; ".join(f"{method.letter} {number(profiles[m][0])} at 1, {number(profiles[m][-1])} at {number(r_max)}" for m, method in enumerate(methods))
    alt = (f"Step chart of the share of the {problems} problems each of {len(methods)} methods ({letter_span([m.letter for m in methods])}) reaches "
           f"within tau times the fastest median steps to the target, tau from 1 to {number(r_max)}. Shares: {finals}.")
    caption = (f"The share of the {problems} problems on which a method's median steps to the target are within tau times the fastest "
               f"method's, from tau = 1 (fastest) to {number(r_max)}; a problem a method does not reach never counts. The integrated score is the area "
               "under a line, scaled to [0, 1]; the scores table gives its 95% seed-bootstrap interval.")
    return finished_figure(figure, "profiles", "scores", title, alt, caption)


def tuning_figure(problem: str, title: str, metric: str, methods: list[MethodRuns], grids: list[tuple[np.ndarray, np.ndarray, float | None]], seeds: int) -> Figure:
    """Per method, the median over the tuning seeds of each run's best ``metric`` at each grid learning rate
    (``grids``: values, medians, chosen), the chosen rate marked; a rate where the median is not finite is a cross."""
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    finite = np.concatenate([medians[np.isfinite(medians)] for _, medians, _ in grids])
    top = float(finite.max()) if finite.size else 1.0
    handles = []
    for method, (values, medians, chosen) in zip(methods, grids):
        shown = np.where(np.isfinite(medians), medians, np.nan)
        handles.append(axes.plot(values, shown, color=method.colour, linestyle=method.linestyle, linewidth=1.6, label=method.label)[0])
        hover(handles[-1], f"{method.letter}. {method.title}: median best {metric} per learning rate")
        failed = values[~np.isfinite(medians)]
        if failed.size:
            axes.plot(failed, np.full(failed.size, top), color=method.colour, **{**DIVERGED, "markersize": 6})
        if chosen is not None:
            axes.plot([chosen], [medians[list(values).index(chosen)]], color=method.colour, **CHOSEN)
    axes.set_xscale("log")
    if finite.size and finite.min() > 0:
        axes.set_yscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel(f"median best {metric}")
    heading = f"Tuning on {problem}"
    axes.set_title(literal(heading))
    legend = [Line2D([], [], color="#777777", label="chosen rate", **CHOSEN), Line2D([], [], color="#777777", label="no finite value (diverged)", **DIVERGED)]
    stack_panels(figure, WIDTH, [(axes, 3.4)], [{"handles": [*handles, *legend], **LEGEND}])
    values = grids[0][0]
    chosen = "; ".join(f"{method.letter} {number(grid[2]) if grid[2] is not None else 'none'}" for method, grid in zip(methods, grids))
    alt = (f"Line chart, {'log-log' if axes.get_yscale() == 'log' else 'log x'}, of the median best {metric} over {seeds} tuning seeds against the learning rate, {len(values)} rates from "
           f"{number(values[0])} to {number(values[-1])}, for {len(methods)} methods on {title}. Chosen rates: {chosen}.")
    caption = (f"Each method's learning rate on {title} is the grid value (circle) with the lowest median, over {seeds} tuning seed{'s' if seeds != 1 else ''} "
               f"that the compared runs do not use, of each run's best {metric}. Crosses at the top: rates whose median is not finite (runs that "
               "diverged or never had a value). "
               "A circle at either end of the grid means the best rate may lie beyond it.")
    return finished_figure(figure, figure_slug(problem, "tuning"), "tuning", heading, alt, caption)


def metric_figure(problem: str, title: str, metric: str, methods: list[MethodRuns], target: float, steps_per_epoch: int) -> Figure:
    """Each method's ``metric`` after each epoch, the median over its runs with a min-max band, and the target."""
    figure = plt.figure()
    axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    handles = []
    for method in methods:
        table = np.array(method.runs, dtype=float)
        epochs = np.arange(1, table.shape[1] + 1)
        with np.errstate(all="ignore"):
            median, low, high = np.nanmedian(table, axis=0), np.nanmin(table, axis=0), np.nanmax(table, axis=0)
        handles.append(axes.plot(epochs, median, color=method.colour, linestyle=method.linestyle, linewidth=1.8, label=method.label)[0])
        hover(handles[-1], f"{method.letter}. {method.title}: median over {len(method.runs)} runs")
        axes.fill_between(epochs, low, high, color=to_rgba(method.colour, BAND_ALPHA), linewidth=0)
    if np.isfinite(target):
        axes.axhline(target, color="black", linewidth=0.9, linestyle=(0, (4, 3)))
    axes.set_yscale("log")
    axes.set_xlabel(f"epoch ({steps_per_epoch} steps each)")
    axes.set_ylabel(f"{metric} (log scale)")
    heading = f"The {metric} on {problem}"
    axes.set_title(literal(heading))
    legend = [Line2D([], [], color="black", linewidth=0.9, linestyle=(0, (4, 3)), label=f"target {number(target)}")] if np.isfinite(target) else []
    stack_panels(figure, WIDTH, [(axes, 3.4)], [{"handles": [*handles, *legend], **LEGEND}])
    epochs = len(methods[0].runs[0])
    finals = "; ".join(f"{m.letter} {number(float(np.nanmedian([run[-1] for run in m.runs])))}" for m in methods)
    alt = (f"Line chart of the {metric} on {title} against {epochs} epochs, log scale, for {len(methods)} methods "
           f"({letter_span([m.letter for m in methods])}); target {number(target)}. Final medians: {finals}.")
    caption = (f"The {metric} after each epoch: line, the median over the runs; band, the lowest to the highest run. Dashed: the target the "
               "scores time, set by the tuned baselines.")
    return finished_figure(figure, figure_slug(problem, "metric"), "curves", heading, alt, caption)
