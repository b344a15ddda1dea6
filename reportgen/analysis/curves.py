"""The curves every analysis reads: seed summaries of a ResultSet and the geometry of the plotted figure.

The cost of a method is ``train_cost_logged`` (the 2018 number: the sum of the
per-sample costs over the training set, logged during the pass). With several
seeds the plotted line is the median over seeds (``seed_summary``), and every
number the report states about a curve is taken on that line. NaN (epochs
after a run diverged) is ignored where an aggregate is taken.

Plotted resolution. The main cost figure (``reportgen.report.figures`` draws
it from ``main_panels``) is one or two axes ("panels"), each a ``Panel``: the
methods it draws, its y-scale, its y-range (every seed's curve, so the
min-max band fits, plus ``PLOT_MARGIN`` each side) and its height in pixels
at ``FIGURE_DPI``. A pixel is a hundredth of an inch of the figure, whatever
the PNG's own resolution. On a linear panel one pixel is ``(high - low) /
height`` cost units (``plotted_resolution``); on a log panel a pixel is a
fixed ratio of costs instead. Lines are ``MAIN_LINE_WIDTH_POINTS`` wide (3,
like the 2018 figure), which is ``LINE_WIDTH_PIXELS`` pixels: two curves
closer than that hide each other. Two curves in different panels never do.

The replica (every method in the seed-2018 variant) keeps the 2018 figure:
one linear panel ``MAIN_PLOT_HEIGHT_PIXELS`` tall with all the methods. Any
other experiment whose methods split into gradient-free ones (j-l) and the
rest gets two: the rest on a log scale, whose costs fall by decades within a
few epochs, above the gradient-free ones on a linear range of their own.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from reportgen.training.results import MethodSpec, ResultSet
from reportgen.training import methods

FIGURE_DPI = 100
MAIN_PLOT_HEIGHT_PIXELS = 420
MAIN_LINE_WIDTH_POINTS = 3.0
LINE_WIDTH_PIXELS = MAIN_LINE_WIDTH_POINTS * FIGURE_DPI / 72.0
LOG_DECADES = 16  # the most a log panel spans: below, a cost is numerically zero (float64 keeps 16 digits)
PLOT_MARGIN = 0.05  # fraction of the data span added below and above, matplotlib's default

COST_METRIC = "train_cost_logged"


def quiet(function, values, axis=None):
    """A nan-aggregate without the all-NaN RuntimeWarning: an all-NaN slice gives NaN, as intended."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(values, axis=axis)


def method_title(method: MethodSpec) -> str:
    return methods.info(method).title


def gradient_free(method: MethodSpec) -> bool:
    """The optimizer takes no gradient (noise training and its relatives), as its registry entry says."""
    return methods.info(method).gradient == "none"


def adds_gaussian_noise(method: MethodSpec) -> bool:
    """The method adds Gaussian noise: the methods that do are those with its scale ``eta``."""
    return "eta" in method.hyperparams and not method.plugin


def seed_summary(result_set: ResultSet, metric: str = COST_METRIC) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, min, max) over seeds of a metric: arrays (methods, epochs)."""
    values = result_set.metric(metric)
    return quiet(np.nanmedian, values, 1), quiet(np.nanmin, values, 1), quiet(np.nanmax, values, 1)


REPLICA_VARIANT = "seed-2018"
SPLIT_PLOT_HEIGHT_PIXELS = (300, 200)  # the log panel above, the gradient-free methods' linear panel below


@dataclass(frozen=True)
class Panel:
    """One axes of the main cost figure: the methods it draws (registry names), its scale and y-range, its height in pixels."""

    methods: tuple[str, ...]
    log: bool
    low: float
    high: float
    height: float

    def pixels(self, values) -> np.ndarray:
        """Each cost's height above the bottom of the axes, in pixels (NaN stays NaN)."""
        values = np.asarray(values, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (np.log10(values) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low)) * self.height
        return (values - self.low) / (self.high - self.low) * self.height

    @property
    def resolution(self) -> float:
        """Cost units per pixel on a linear panel; NaN on a log panel, where it grows with the cost."""
        return math.nan if self.log else (self.high - self.low) / self.height


def _range(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Every finite value plus PLOT_MARGIN of the span each side (of the decades on a log scale)."""
    finite = values[np.isfinite(values)]
    if log:
        positive = finite[finite > 0]  # a cost of exactly 0 has no place on a log axis
        high = np.log10(positive.max())
        low = max(np.log10(positive.min()), high - LOG_DECADES)
        span = high - low if high > low else 1.0
        return float(10 ** (low - PLOT_MARGIN * span)), float(10 ** (high + PLOT_MARGIN * span))
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = high - low if high > low else max(abs(high), 1.0)
    return low - PLOT_MARGIN * span, high + PLOT_MARGIN * span


def main_panels(result_set: ResultSet) -> tuple[Panel, ...]:
    """The panels of the main cost figure, top to bottom (see the module's docstring)."""
    values = result_set.metric(COST_METRIC)  # (methods, seeds, epochs): the bands' edges are among these
    names = [spec.name for spec in result_set.methods]
    free = [spec.name for spec in result_set.methods if gradient_free(spec)]
    rest = [name for name in names if name not in free]
    if all(spec.variant == REPLICA_VARIANT for spec in result_set.methods) or not rest:
        return (Panel(tuple(names), False, *_range(values, False), MAIN_PLOT_HEIGHT_PIXELS),)
    if not free:  # methods that all descend: a log scale separates them where a linear one piles them on zero
        log = bool((values[np.isfinite(values)] > 0).any())
        return (Panel(tuple(names), log, *_range(values, log), MAIN_PLOT_HEIGHT_PIXELS),)
    top = values[[names.index(name) for name in rest]]
    log = bool(np.isfinite(top).any()) and bool(np.nanmin(top) > 0)
    bottom = values[[names.index(name) for name in free]]
    heights = SPLIT_PLOT_HEIGHT_PIXELS
    return (Panel(tuple(rest), log, *_range(top, log), heights[0]), Panel(tuple(free), False, *_range(bottom, False), heights[1]))


def panel_of(result_set: ResultSet, name: str) -> Panel:
    """The panel of the main cost figure that draws method ``name``."""
    return next(panel for panel in main_panels(result_set) if name in panel.methods)


def plotted_resolution(result_set: ResultSet, name: str | None = None) -> float:
    """Cost units per pixel of the main cost figure's panel that draws ``name`` (by default the first method); NaN on a log panel."""
    return panel_of(result_set, name or result_set.methods[0].name).resolution


def training_steps(result_set: ResultSet) -> tuple[int, int]:
    """(steps per epoch, total steps): epochs x ceil(n_train / batch), the last partial batch included."""
    batch = result_set.config["training"]["batch_size"]
    per_epoch = -(-result_set.config["data"]["n_train"] // batch)
    return per_epoch, per_epoch * result_set.epochs


def final_costs(result_set: ResultSet) -> np.ndarray:
    """(methods, seeds): the last epoch's cost, NaN for runs that diverged."""
    return result_set.metric(COST_METRIC)[:, :, -1]


def median_final(result_set: ResultSet, position: int) -> float:
    """Median final cost over the seeds of method ``position`` that did not diverge (NaN if all did)."""
    finals = final_costs(result_set)[position]
    runs = np.asarray(result_set.diverged_epoch)[position]
    kept = finals[(runs == 0) & np.isfinite(finals)]
    return float(np.median(kept)) if kept.size else math.nan


def first_stop(result_set: ResultSet, position: int) -> int:
    """The earliest epoch at which a seed of method ``position`` stopped as diverged, 0 if none did."""
    runs = np.asarray(result_set.diverged_epoch)[position]
    return int(runs[runs > 0].min()) if np.any(runs > 0) else 0
