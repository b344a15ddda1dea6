"""The curves every analysis reads: seed summaries of a ResultSet and the geometry of the plotted figure.

The cost of a method is ``train_cost_logged`` (the 2018 number: the sum of the
per-sample costs over the training set, logged during the pass). With several
seeds the plotted line is the median over seeds (``seed_summary``), and every
number the report states about a curve is taken on that line. NaN (epochs
after a run diverged) is ignored where an aggregate is taken.

Plotted resolution. The main cost figure (``reportgen.report.figures`` draws
it with these constants) has an axes ``MAIN_PLOT_HEIGHT_PIXELS`` tall at
``FIGURE_DPI`` and a y-range from ``cost_plot_range``; one pixel is
therefore ``(high - low) / MAIN_PLOT_HEIGHT_PIXELS`` cost units. Its lines
are ``MAIN_LINE_WIDTH_POINTS`` wide (3, like the 2018 figure), which is
``LINE_WIDTH_PIXELS`` pixels: two curves closer than that hide each other.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from reportgen import optimizers
from reportgen.training.results import MethodSpec, ResultSet

FIGURE_DPI = 100
MAIN_PLOT_HEIGHT_PIXELS = 420
MAIN_LINE_WIDTH_POINTS = 3.0
LINE_WIDTH_PIXELS = MAIN_LINE_WIDTH_POINTS * FIGURE_DPI / 72.0
PLOT_MARGIN = 0.05  # fraction of the data span added below and above, matplotlib's default

COST_METRIC = "train_cost_logged"


def quiet(function, values, axis=None):
    """A nan-aggregate without the all-NaN RuntimeWarning: an all-NaN slice gives NaN, as intended."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(values, axis=axis)


def method_title(name: str, variant: str) -> str:
    return optimizers.describe(name, variant).title


def gradient_free(method: MethodSpec) -> bool:
    """The optimizer takes no gradient (noise training and its relatives), as its registry entry says."""
    return optimizers.describe(method.name, method.variant).gradient == "none"


def adds_gaussian_noise(method: MethodSpec) -> bool:
    """The method adds Gaussian noise, as its registry entry says."""
    return optimizers.adds_gaussian_noise(method.name, method.variant)


def seed_summary(result_set: ResultSet, metric: str = COST_METRIC) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, min, max) over seeds of a metric: arrays (methods, epochs)."""
    values = result_set.metric(metric)
    return quiet(np.nanmedian, values, 1), quiet(np.nanmin, values, 1), quiet(np.nanmax, values, 1)


def cost_plot_range(result_set: ResultSet) -> tuple[float, float]:
    """The y-range of the main cost figure: the median curves' span plus PLOT_MARGIN each side."""
    median, _, _ = seed_summary(result_set)
    finite = median[np.isfinite(median)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = high - low if high > low else max(abs(high), 1.0)
    return low - PLOT_MARGIN * span, high + PLOT_MARGIN * span


def plotted_resolution(result_set: ResultSet) -> float:
    """Cost units per pixel of the main cost figure."""
    low, high = cost_plot_range(result_set)
    return (high - low) / MAIN_PLOT_HEIGHT_PIXELS


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
