"""Curves that hide each other: how far apart two methods' plotted curves are, and why, by controlled experiment.

Geometry: every number here is taken on the plotted curves, the median over
seeds (``curves.seed_summary``), in cost units and in pixels of the main
figure's panel that draws both (``curves.main_panels``). Cause: the experiment's control runs (``reportgen.training.controls``)
split a pair's gap into

* the noise floor: the first method against itself trained with other noise
  streams (how far a different draw of the same random walk moves it);
* the second method's own effect: the second method trained in lockstep with
  the first under common random numbers (same weights, order and Gumbel
  samples), so that what differs is the method alone;
* the first-order link: along the weight gap d = w_second - w_first the
  cost changes by g . d to first order; the lockstep run measures both.

A pair is analysed when a lockstep group of the config holds it (its first
method against each of the others).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from reportgen.analysis.curves import LINE_WIDTH_PIXELS, Panel, adds_gaussian_noise, gradient_free, main_panels, method_title, seed_summary
from reportgen.formatting import number, share
from reportgen.training.results import MethodSpec, ResultSet

# Two curves "separate" once they differ by more than this fraction of the
# range the pair spans (what a view zoomed onto the pair would show).
SEPARATION_FRACTION = 0.01


@dataclass(frozen=True)
class Cause:
    """What the control runs measured for one pair (cost units of the plotted, logged cost).

    floor: max over epochs of |first with stream k - first|, one value per seed
    and stream; empty when the first method takes no random numbers.
    own_effect: max over epochs of |second under common random numbers - first|,
    one value per seed. cost_gap / first_order_gap: at the epoch and seed
    where the measured end-of-epoch gap is largest, the gap and g . d there.
    first_order_error: the largest |measured - first order| over all epochs and
    seeds, as a fraction of the largest |measured|. weight_gap: the largest
    ||w_second - w_first|| (all layers) over epochs and seeds.
    """

    floor: tuple[float, ...]
    own_effect: tuple[float, ...]
    shares_noise: bool  # the second method under common random numbers is the method as run (no control variant)
    cost_gap: float
    first_order_gap: float
    first_order_error: float
    weight_gap: float


@dataclass(frozen=True)
class OverlapStats:
    """Two methods' plotted curves (median over seeds) compared epoch by epoch.

    relative_gap = max |a - b| / (mean(|a| + |b|) / 2). tolerance =
    SEPARATION_FRACTION of the range both curves span; separation_epoch is the
    first epoch where |a - b| exceeds it (0 = never). pixels: the largest vertical
    gap between the two drawn curves in pixels of the panel that draws both
    (max |a - b| / resolution on a linear panel, resolution being its cost units
    per pixel; on a log panel resolution is NaN; both NaN when no panel draws
    both); distinguishable: pixels > LINE_WIDTH_PIXELS.
    """

    first: str
    second: str
    max_abs_diff: float
    mean_abs_diff: float
    relative_gap: float
    correlation: float
    tolerance: float
    separation_epoch: int
    distinguishable: bool
    resolution: float
    pixels: float
    cause: Cause | None
    explanation: str  # the sentences that state the geometry and the cause


def overlap(
    first: np.ndarray, second: np.ndarray, resolution: float
) -> tuple[float, float, float, float, float, int, bool]:
    """(max_abs_diff, mean_abs_diff, relative_gap, correlation, tolerance, separation_epoch, distinguishable).

    Epochs where either curve is NaN are left out. See OverlapStats.
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    both = np.isfinite(first) & np.isfinite(second)
    if not both.any():
        return math.nan, math.nan, math.nan, math.nan, math.nan, 0, False
    a, b = first[both], second[both]
    difference = np.abs(a - b)
    max_difference = float(difference.max())
    level = float(np.mean(np.abs(a) + np.abs(b)) / 2.0)
    relative_gap = max_difference / level if level > 0 else math.nan
    if np.ptp(a) > 0 and np.ptp(b) > 0:
        correlation = float(np.corrcoef(a, b)[0, 1])
    else:
        correlation = math.nan
    tolerance = SEPARATION_FRACTION * float(max(a.max(), b.max()) - min(a.min(), b.min()))
    apart = np.flatnonzero(both & ~(np.abs(first - second) <= tolerance))
    separation = int(apart[0]) + 1 if apart.size else 0
    distinguishable = max_difference > LINE_WIDTH_PIXELS * resolution
    return max_difference, float(difference.mean()), relative_gap, correlation, tolerance, separation, distinguishable


def takes_random_numbers(method: MethodSpec) -> bool:
    return gradient_free(method) or adds_gaussian_noise(method)


def _largest_gap(a: np.ndarray, b: np.ndarray) -> float:
    gap = np.abs(np.asarray(a) - np.asarray(b))
    return float(np.nanmax(gap)) if np.isfinite(gap).any() else math.nan


def cause(result_set: ResultSet, first: str, second: str) -> Cause:
    """The control runs' account of the pair (first, second); both must be in one lockstep group with ``first`` leading."""
    logged = result_set.metric("train_cost_logged")
    first_runs = logged[result_set.method_index(first)]
    floor_runs = result_set.controls.get(f"floor:{first}")
    floor = ()
    if floor_runs is not None:
        floor = tuple(_largest_gap(floor_runs[seed, stream], first_runs[seed]) for seed in range(floor_runs.shape[0]) for stream in range(floor_runs.shape[1]))
    prefix = f"lockstep:{first}:{second}:"
    controlled = result_set.controls[prefix + "cost_logged"]
    own_effect = tuple(_largest_gap(controlled[seed], first_runs[seed]) for seed in range(controlled.shape[0]))
    measured, predicted = result_set.controls[prefix + "cost_gap"], result_set.controls[prefix + "first_order_gap"]
    if np.isfinite(measured).any():
        seed, epoch = np.unravel_index(np.nanargmax(np.abs(measured)), measured.shape)
        largest = float(np.abs(measured[seed, epoch]))
        error = float(np.nanmax(np.abs(measured - predicted))) / largest if largest > 0 else math.nan
        cost_gap, first_order_gap = float(measured[seed, epoch]), float(predicted[seed, epoch])
    else:
        cost_gap = first_order_gap = error = math.nan
    weight_gap = result_set.controls[prefix + "weight_gap"]
    second_spec = result_set.methods[result_set.method_index(second)]
    return Cause(
        floor=floor,
        own_effect=own_effect,
        shares_noise="own_stream" not in second_spec.hyperparams or bool(second_spec.hyperparams["own_stream"]),
        cost_gap=cost_gap,
        first_order_gap=first_order_gap,
        first_order_error=error,
        weight_gap=float(np.nanmax(weight_gap)) if np.isfinite(weight_gap).any() else math.nan,
    )


def analysed_pairs(result_set: ResultSet) -> list[tuple[str, str]]:
    """(first, other) for every other method of every lockstep group of the config."""
    return [(first, other) for first, *others in result_set.config["controls"]["lockstep"] for other in others]


def _spread(values: tuple[float, ...], unit: str) -> str:
    """One value, or the median and range of several: '0.02 (0.016 to 0.037 over 5 streams)'."""
    if len(values) == 1:
        return number(values[0])
    return f"{number(float(np.median(values)))} (median; {number(min(values))} to {number(max(values))} over {len(values)} {unit})"


def label(result_set: ResultSet, name: str) -> str:
    spec = result_set.methods[result_set.method_index(name)]
    return f"{spec.letter} ({method_title(spec)})"


def geometry(result_set: ResultSet, stats: OverlapStats) -> str:
    """One sentence: whether the pair can be told apart in the main figure, and by how much."""
    a, b = label(result_set, stats.first), label(result_set, stats.second)
    seen = "can be told apart" if stats.distinguishable else "hide each other"
    separation = (
        f"they first differ by more than {number(stats.tolerance)} (1% of the range they span) at epoch {stats.separation_epoch}"
        if stats.separation_epoch
        else f"they never differ by more than {number(stats.tolerance)} (1% of the range they span)"
    )
    return (
        f"{a} and {b} {seen} in the main figure: their plotted curves are at most {number(stats.max_abs_diff)} apart, "
        f"{number(stats.pixels)} pixels against a line {number(LINE_WIDTH_PIXELS)} pixels wide; {separation}."
    )


def explain(result_set: ResultSet, stats: OverlapStats) -> str:
    """The geometry of the pair on the plotted curves, then what the controls say caused the gap."""
    sentences = [geometry(result_set, stats)]
    found, seeds = stats.cause, "seeds"
    if found is None:
        return sentences[0]
    own = _spread(found.own_effect, seeds)
    first_spec = result_set.methods[result_set.method_index(stats.first)]
    second_spec = result_set.methods[result_set.method_index(stats.second)]
    x, y = first_spec.letter, second_spec.letter  # the labels were given in full above
    own_share = float(np.median(found.own_effect)) / stats.max_abs_diff if stats.max_abs_diff > 0 else math.nan
    if found.floor:
        floor = float(np.median(found.floor))
        sentences.append(
            f"{x} trained again from the same weights with other noise streams lies {_spread(found.floor, 'runs')} from itself: "
            "that is how far a different draw of the same random walk moves it."
        )
        if found.shares_noise:
            sentences.append(
                f"{y} sees every random number {x} sees plus its own, so the whole gap is {y}'s own effect: {own}, "
                f"{number(floor / float(np.median(found.own_effect)))} times less than the noise floor."
            )
        else:
            sentences.append(
                f"Run so that it sees every random number {x} sees plus its own (a control: its extra draws on a stream of their own), "
                f"{y} lies {own} from {x}: {y}'s own effect is {share(own_share)} of the plotted gap, which is "
                f"{number(stats.max_abs_diff / floor)} times the noise floor's median. The rest of the gap is a different draw "
                f"of the same random walk: as run here, {y}'s extra draws come from the generator of {x}'s."
            )
    elif takes_random_numbers(first_spec) or takes_random_numbers(second_spec):
        sentences.append(f"{x} takes no random numbers, so the whole gap is {y}'s own effect (its noise, one draw per seed): {own}.")
    else:
        sentences.append(f"Neither takes a random number, so the gap, {own}, is {y}'s own effect and the same on every build.")
    if math.isfinite(found.first_order_error):
        sentences.append(
            f"To first order the cost moves by g . d along the weight gap d (at most {number(found.weight_gap)} in norm): "
            f"where the end-of-epoch gap is largest, g . d = {number(found.first_order_gap)} against {number(found.cost_gap)} measured, "
            f"and over all epochs the two differ by at most {share(found.first_order_error)} of that largest gap."
        )
    return " ".join(sentences)


def pixel_gap(panel: Panel, first: np.ndarray, second: np.ndarray) -> float:
    """The largest vertical distance between two curves drawn in ``panel``, in its pixels (NaN epochs left out)."""
    return _largest_gap(panel.pixels(first), panel.pixels(second))


def overlaps(result_set: ResultSet) -> list[OverlapStats]:
    """Each analysed pair on the plotted curves, with what the controls measured."""
    median, _, _ = seed_summary(result_set)
    panels = main_panels(result_set)
    found = []
    for first, second in analysed_pairs(result_set):
        a, b = median[result_set.method_index(first)], median[result_set.method_index(second)]
        shared = next((panel for panel in panels if first in panel.methods and second in panel.methods), None)
        resolution = shared.resolution if shared else math.nan
        pixels = pixel_gap(shared, a, b) if shared else math.nan  # in two panels they never hide each other
        *numbers, _ = overlap(a, b, resolution)
        stats = OverlapStats(
            first, second, *numbers, distinguishable=not pixels <= LINE_WIDTH_PIXELS,
            resolution=resolution, pixels=pixels, cause=cause(result_set, first, second), explanation="",
        )
        found.append(replace(stats, explanation=explain(result_set, stats)))
    return found


def overlap_matrix(result_set: ResultSet) -> np.ndarray:
    """[i, j]: the largest gap between plotted curves i and j in pixels of the main figure's panel that draws both; NaN across panels."""
    median, _, _ = seed_summary(result_set)
    names = [spec.name for spec in result_set.methods]
    matrix = np.full((len(names), len(names)), math.nan)
    for panel in main_panels(result_set):
        members = [names.index(name) for name in panel.methods]
        for i in members:
            for j in members:
                matrix[i, j] = pixel_gap(panel, median[i], median[j])
    return matrix
