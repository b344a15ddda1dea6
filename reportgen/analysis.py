"""Numbers the report states, computed from a ResultSet: plain frozen dataclasses, no plotting, no HTML.

Curves. The cost of a method is ``train_cost_logged`` (the 2018 number: the sum
of the per-sample costs over the training set, logged during the pass). With
several seeds the plotted line is the median over seeds (``seed_summary``);
the overlap statistics use the mean over seeds, as the report contract states.
NaN (epochs after a run diverged) is ignored where an aggregate is taken.

Plotted resolution. The main cost figure (figures.py draws it with these
constants) has an axes ``MAIN_PLOT_HEIGHT_PIXELS`` tall at ``FIGURE_DPI`` and
a y-range from ``cost_plot_range``; one pixel is therefore
``(high - low) / MAIN_PLOT_HEIGHT_PIXELS`` cost units. Its lines are
``MAIN_LINE_WIDTH_POINTS`` wide (3, like the 2018 figure), which is
``LINE_WIDTH_PIXELS`` pixels: two curves closer than that hide each other.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from reportgen import optimizers
from reportgen.results import ResultSet

FIGURE_DPI = 100
MAIN_PLOT_HEIGHT_PIXELS = 420
MAIN_LINE_WIDTH_POINTS = 3.0
LINE_WIDTH_PIXELS = MAIN_LINE_WIDTH_POINTS * FIGURE_DPI / 72.0
PLOT_MARGIN = 0.05  # fraction of the data span added below and above, matplotlib's default

COST_METRIC = "train_cost_logged"
EULER_GAMMA = 0.5772156649015329  # mean of a standard Gumbel(0, 1) sample
GUMBEL_SD = math.pi / math.sqrt(6.0)  # 1.2825, its standard deviation

# Divergence: the cost must stay above the starting cost by this fraction,
# so a flat curve that wanders around its start is not called diverged.
BLOW_UP = 1.5  # a blow-up ends at least this many times above the lowest cost before it
DIVERGENCE_MARGIN = 0.05
# Convergence of a slow method: flat = within FLAT_BAND of the starting cost
# for at least one window; then the first epoch after which the cost falls
# by more than CONVERGENCE_DROP within the window.
FLAT_BAND = 0.05
CONVERGENCE_DROP = 0.20
CONVERGENCE_WINDOW_FRACTION = 0.05  # of the epochs, at least MIN_WINDOW
MIN_WINDOW = 2
# Two curves "separate" once they differ by more than this fraction of the
# range the pair spans (what a view zoomed onto the pair would show).
SEPARATION_FRACTION = 0.01
# Epochs-to-target: the target is this fraction of the typical starting cost.
TARGET_FRACTION = 0.10

OVERLAP_PAIRS = (("noise_training", "noise_gaussian"), ("noise_training", "gaussian_noise"))
PAIRED_BASELINE = "sgd"
GRADIENT_FREE = ("noise_training", "noise_gaussian", "adam_noise")
GAUSSIAN_METHODS = ("gaussian_noise", "noise_gaussian")
# Bookkeeping of the 2018 epoch-based noise schedule (part of that quirk), not a tuning choice.
SCHEDULE_SETTINGS = ("steps_per_epoch",)

# What the textbook variant does instead of each 2018 quirk (the quirks themselves
# come from reportgen.optimizers.describe); methods not listed: "the textbook <title>".
TEXTBOOK_RULES = {
    'sgd': 'ELU with alpha = 1: e^x - 1 for x <= 0, derivative 1 for x > 0',
    'momentum': 'v = 0.9 v + g, w -= lr v',
    'nesterov': "torch's Nesterov: one gradient, w -= lr (g + 0.9 v)",
    'adadelta': 'rho = 0.9, w = w + d with d = -RMS[dx] / RMS[g] g',
    'adam': 'm / (1 - beta1^t), v / (1 - beta2^t)',
    'nadam': "Dozat's NAdam with the momentum-decay schedule and 1 - beta^t corrections",
    'gaussian_noise': 'a fresh Gaussian per element, variance eta / (1 + t)^0.55 at step t',
    'noise_training': 'the same Gumbel rule: it has no textbook form',
    'noise_gaussian': 'a fresh Gaussian per element, variance eta / (1 + t)^0.55 at step t',
    'adam_noise': 'Adam with 1 - beta^t corrections fed by the Gumbel samples',
}


@dataclass(frozen=True)
class Marker:
    """An automatic annotation on the cost plot."""

    method: str
    letter: str
    kind: str  # "diverged" (the article's red star) | "converging" (its brown star)
    epoch: int  # 1-based
    cost: float  # y value to place the marker at
    caption: str


@dataclass(frozen=True)
class OverlapStats:
    """Two methods' mean curves (train_cost_logged, mean over seeds) compared epoch by epoch.

    relative_gap = max |a - b| / (mean(|a| + |b|) / 2): the largest gap as a
    fraction of the pair's average level. tolerance = SEPARATION_FRACTION of
    the range both curves span; separation_epoch is the first epoch where
    |a - b| exceeds it (0 = never). distinguishable: max |a - b| is wider than
    the main figure's line (LINE_WIDTH_PIXELS x resolution).
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
    explanation: str


@dataclass(frozen=True)
class MethodRow:
    """One line of the results table, aggregated over seeds."""

    method: str
    letter: str
    title: str
    variant: str
    final_cost: float  # median over the seeds that did not diverge (NaN if all did)
    final_cost_spread: float  # max - min over those seeds, 0 for one seed
    best_cost: float  # lowest point of the median curve
    best_epoch: int
    test_accuracy: float  # final epoch, median over seeds
    diverged_runs: int
    diverged_epoch: int  # earliest over seeds, 0 = none
    seconds_per_epoch: float
    epochs_to_target: int  # first epoch whose mean cost <= target_cost, 0 = never
    rank: int  # 1 = lowest final cost; methods with a diverged run rank last


@dataclass(frozen=True)
class PairedComparison:
    """first vs second across seeds: same weights and noise per seed, so paired."""

    first: str
    second: str
    seeds: int  # seeds where both runs have a final cost
    first_better: int  # seeds where first's final cost < second's
    median_difference: float  # median of (first - second) final cost


@dataclass(frozen=True)
class QuirkEffect:
    """One quirk of the 2018 script, the textbook rule, and what the two runs measured."""

    method: str
    letter: str
    quirk: str
    textbook_rule: str
    replica_final_cost: float
    textbook_final_cost: float
    effect: str


@dataclass(frozen=True)
class ExperimentAnalysis:
    """overlap_matrix[i, j]: max |mean curve i - mean curve j| in pixels of the main figure."""

    experiment: str
    rows: list[MethodRow]
    markers: list[Marker]
    overlaps: list[OverlapStats]
    overlap_matrix: np.ndarray
    paired: list[PairedComparison]
    target_cost: float


def _quiet(function, values, axis=None):
    """A nan-aggregate without the all-NaN RuntimeWarning: an all-NaN slice gives NaN, as intended."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(values, axis=axis)


def number(value: float) -> str:
    """Three significant digits, as every sentence of the report writes numbers."""
    if not np.isfinite(value):
        return "NaN"
    return f"{value:.3g}"


def method_title(name: str, variant: str) -> str:
    return optimizers.describe(name, variant).title


def seed_summary(result_set: ResultSet, metric: str = COST_METRIC) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, min, max) over seeds of a metric: arrays (methods, epochs)."""
    values = result_set.metric(metric)
    return _quiet(np.nanmedian, values, 1), _quiet(np.nanmin, values, 1), _quiet(np.nanmax, values, 1)


def mean_curves(result_set: ResultSet, metric: str = COST_METRIC) -> np.ndarray:
    """Mean over seeds: (methods, epochs)."""
    return _quiet(np.nanmean, result_set.metric(metric), 1)


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


def convergence_window(epochs: int) -> int:
    return max(MIN_WINDOW, int(round(CONVERGENCE_WINDOW_FRACTION * epochs)))


def divergence_epoch(curve: np.ndarray, stopped_epoch: int = 0) -> int:
    """1-based epoch where a cost curve diverges, 0 if it does not.

    A run that stopped as diverged diverges at its ``stopped_epoch``.
    Otherwise the curve blows up: from some epoch on, every cost (NaN counts
    as above) exceeds the starting cost curve[0] by more than
    DIVERGENCE_MARGIN, and it diverges at the first epoch of that stretch
    whose cost is more than BLOW_UP times the lowest cost reached before it.
    A slow drift upwards (noise training) is not a blow-up. The 2018 Adadelta
    blows up this way: the sigmoid bounds the cost at 0.5 per sample, so it
    saturates instead of becoming NaN.
    """
    if stopped_epoch:
        return int(stopped_epoch)
    curve = np.asarray(curve, dtype=float)
    if curve.size < 2 or not np.isfinite(curve[0]):
        return 0
    above = ~(curve <= curve[0] * (1.0 + DIVERGENCE_MARGIN))  # NaN counts as above
    if not above[-1]:
        return 0
    below = np.flatnonzero(~above)
    start = int(below[-1]) + 1 if below.size else 0
    lowest_before = np.minimum.accumulate(np.where(np.isfinite(curve), curve, np.inf))
    for index in range(max(start, 1), curve.size):
        if not curve[index] <= BLOW_UP * lowest_before[index - 1]:
            return index + 1
    return 0


def convergence_epoch(curve: np.ndarray, window: int) -> int:
    """1-based epoch where a slow method starts to converge, 0 if it is not slow or never does.

    Slow: the cost stays within FLAT_BAND of its starting value curve[0] for
    at least ``window`` epochs. The method starts to converge at the first
    epoch e of that flat stretch (or just after it) after which the cost falls
    by more than CONVERGENCE_DROP within ``window`` epochs:
    curve[e + window] < (1 - CONVERGENCE_DROP) * curve[e] (1-based e).
    """
    curve = np.asarray(curve, dtype=float)
    if curve.size <= window or not np.isfinite(curve[0]) or curve[0] <= 0:
        return 0
    flat = np.abs(curve - curve[0]) <= FLAT_BAND * curve[0]
    flat_length = int(np.argmin(flat)) if not flat.all() else curve.size
    if flat_length < window:
        return 0
    for index in range(0, min(flat_length, curve.size - window)):
        if curve[index + window] < (1.0 - CONVERGENCE_DROP) * curve[index]:
            return index + 1
    return 0


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


def training_steps(result_set: ResultSet) -> tuple[int, int]:
    """(steps per epoch, total steps): epochs x ceil(n_train / batch), the last partial batch included."""
    batch = int(result_set.config.get("batch_size", 1))
    per_epoch = -(-int(result_set.data["n_train"]) // batch)
    return per_epoch, per_epoch * result_set.epochs


def gaussian_noise_sizes(result_set: ResultSet, name: str) -> tuple[float, float, float]:
    """(first-step sd, last-step sd, sqrt of the summed variances over the run) of the added Gaussian.

    seed-2018: one scalar per step, sd = eta / (1 + epoch)^gamma, epoch counted
    from 0 (eta = 0.001, gamma = 0.55). textbook: per element, variance
    eta / (1 + t)^gamma at step t counted from 0.
    """
    spec = result_set.methods[result_set.method_index(name)]
    per_epoch, steps = training_steps(result_set)
    gamma = float(spec.hyperparams.get("gamma", 0.55))
    if spec.variant == "seed-2018":
        eta = float(spec.hyperparams.get("eta", 0.001))
        sd = eta / (1.0 + np.arange(steps) // per_epoch) ** gamma
    else:
        eta = float(spec.hyperparams.get("eta", 0.01))
        sd = np.sqrt(eta / (1.0 + np.arange(steps)) ** gamma)
    return float(sd[0]), float(sd[-1]), float(np.sqrt(np.sum(sd**2)))


def _explain(result_set: ResultSet, first: str, second: str, max_difference: float, resolution: float) -> str:
    """Why two curves overlap (or not), from the run's own hyperparameters and step count."""
    per_epoch, steps = training_steps(result_set)
    curves = mean_curves(result_set)
    index = {spec.name: position for position, spec in enumerate(result_set.methods)}
    pixels = max_difference / resolution if resolution > 0 else math.nan
    gap = f"The curves differ by at most {number(max_difference)} ({number(pixels)} pixels of the main figure)."
    spec_first = result_set.methods[index[first]]
    lr = float(spec_first.hyperparams.get("lr", math.nan))
    drift = lr * EULER_GAMMA * steps
    wobble = lr * GUMBEL_SD * math.sqrt(steps)
    gumbel = (
        f"Over {steps:,} steps ({result_set.epochs} epochs x {per_epoch} per epoch) the Gumbel noise of "
        f"{first} moves every weight by lr x 0.5772 x steps = {number(lr)} x 0.5772 x {steps:,} = {number(drift)} "
        f"in the same direction (random spread lr x 1.2825 x sqrt(steps) = {number(wobble)})"
    )
    pair = {first, second}
    if first in GRADIENT_FREE and pair & set(GAUSSIAN_METHODS) and pair <= set(GRADIENT_FREE):
        noisy = second if second in GAUSSIAN_METHODS else first
        first_sd, last_sd, total = gaussian_noise_sizes(result_set, noisy)
        noisy_lr = float(result_set.methods[index[noisy]].hyperparams.get("lr", lr))
        shared = "one scalar per step shared by all weights" if result_set.methods[index[noisy]].variant == "seed-2018" else "per element"
        added = noisy_lr * total
        ratio = drift / added if added > 0 else math.inf
        return (
            f"{gumbel}; the Gaussian that {noisy} adds ({shared}, sd {number(first_sd)} falling to {number(last_sd)}) "
            f"moves it by lr x sqrt(sum of variances) = {number(added)}, {number(ratio)} times less. {gap}"
        )
    describe_run = []
    for name in (first, second):
        curve = curves[index[name]]
        finite = curve[np.isfinite(curve)]
        if finite.size:
            describe_run.append(f"{name} goes from {number(finite[0])} to {number(finite[-1])}")
    sentence = "; ".join(describe_run)
    if first in GRADIENT_FREE and second not in GRADIENT_FREE:
        sentence = f"{gumbel}, using no gradient, while {second} follows the gradient: {sentence}"
    return f"{sentence}. {gap}"


def _final_costs(result_set: ResultSet) -> np.ndarray:
    """(methods, seeds): the last epoch's cost, NaN for runs that diverged."""
    return result_set.metric(COST_METRIC)[:, :, -1]


def _rows(result_set: ResultSet, target_cost: float) -> list[MethodRow]:
    median, _, _ = seed_summary(result_set)
    mean = mean_curves(result_set)
    accuracy = result_set.metric("test_accuracy")[:, :, -1]
    seconds = result_set.metric("epoch_seconds")
    finals = _final_costs(result_set)
    diverged = np.asarray(result_set.diverged_epoch)
    provisional = []
    for position, spec in enumerate(result_set.methods):
        runs = diverged[position]
        kept = finals[position][(runs == 0) & np.isfinite(finals[position])]
        final = float(np.median(kept)) if kept.size else math.nan
        spread = float(kept.max() - kept.min()) if kept.size else math.nan
        curve = median[position]
        best_epoch = int(np.nanargmin(curve)) + 1 if np.isfinite(curve).any() else 0
        best = float(curve[best_epoch - 1]) if best_epoch else math.nan
        reached = np.flatnonzero(mean[position] <= target_cost)
        provisional.append(
            dict(
                method=spec.name,
                letter=spec.letter,
                title=method_title(spec.name, spec.variant),
                variant=spec.variant,
                final_cost=final,
                final_cost_spread=spread,
                best_cost=best,
                best_epoch=best_epoch,
                test_accuracy=float(_quiet(np.nanmedian, accuracy[position])),
                diverged_runs=int(np.count_nonzero(runs)),
                diverged_epoch=int(runs[runs > 0].min()) if np.any(runs > 0) else 0,
                seconds_per_epoch=float(_quiet(np.nanmean, seconds[position])),
                epochs_to_target=int(reached[0]) + 1 if reached.size else 0,
            )
        )
    ranks = rank_order([row["final_cost"] for row in provisional], [row["diverged_runs"] for row in provisional])
    return [MethodRow(**row, rank=rank) for row, rank in zip(provisional, ranks)]


def rank_order(final_costs, diverged_runs) -> list[int]:
    """1 = lowest final cost; a method with any diverged run (or no final cost) ranks after all others.

    Ties keep the a-l order.
    """
    keys = [
        (bool(diverged) or not np.isfinite(cost), cost if np.isfinite(cost) else math.inf, position)
        for position, (cost, diverged) in enumerate(zip(final_costs, diverged_runs))
    ]
    ranks = [0] * len(keys)
    for rank, key in enumerate(sorted(keys), start=1):
        ranks[key[2]] = rank
    return ranks


def paired_comparisons(result_set: ResultSet, baseline: str = PAIRED_BASELINE) -> list[PairedComparison]:
    """Each method against the baseline seed by seed; empty with one seed or no baseline."""
    names = [spec.name for spec in result_set.methods]
    if len(result_set.seeds) < 2 or baseline not in names:
        return []
    finals = _final_costs(result_set)
    reference = finals[names.index(baseline)]
    comparisons = []
    for position, name in enumerate(names):
        if name == baseline:
            continue
        both = np.isfinite(finals[position]) & np.isfinite(reference)
        difference = finals[position][both] - reference[both]
        comparisons.append(
            PairedComparison(
                first=name,
                second=baseline,
                seeds=int(both.sum()),
                first_better=int(np.count_nonzero(difference < 0)),
                median_difference=float(np.median(difference)) if difference.size else math.nan,
            )
        )
    return comparisons


def _markers(result_set: ResultSet) -> list[Marker]:
    median, _, _ = seed_summary(result_set)
    window = convergence_window(result_set.epochs)
    diverged = np.asarray(result_set.diverged_epoch)
    markers = []
    for position, spec in enumerate(result_set.methods):
        curve = median[position]
        label = f"{spec.letter} ({method_title(spec.name, spec.variant)})"
        stopped = int(diverged[position][diverged[position] > 0].min()) if np.any(diverged[position] > 0) else 0
        epoch = divergence_epoch(curve, stopped)
        if epoch:
            before = float(curve[epoch - 2]) if epoch > 1 else float(curve[0])
            finite_after = curve[epoch - 1 :][np.isfinite(curve[epoch - 1 :])]
            if stopped:
                seeds = int(np.count_nonzero(diverged[position]))
                cost = before if not np.isfinite(curve[epoch - 1]) else float(curve[epoch - 1])
                caption = f"{label} diverges at epoch {epoch} in {seeds} of {len(result_set.seeds)} seeds: the run stopped after cost {number(before)}"
            else:
                cost = float(curve[epoch - 1])
                caption = (
                    f"{label} blows up at epoch {epoch}: cost {number(before)} -> {number(cost)} "
                    f"and never returns below {number(float(finite_after.min()))}"
                )
            markers.append(Marker(spec.name, spec.letter, "diverged", epoch, cost, caption))
            continue
        epoch = convergence_epoch(curve, window)
        if epoch:
            cost = float(curve[epoch - 1])
            later = float(curve[min(epoch - 1 + window, curve.size - 1)])
            caption = (
                f"{label} stays within {FLAT_BAND:.0%} of its starting cost {number(float(curve[0]))} until epoch {epoch}, "
                f"then falls to {number(later)} within {window} epochs"
            )
            markers.append(Marker(spec.name, spec.letter, "converging", epoch, cost, caption))
    return markers


def target_cost(result_set: ResultSet) -> float:
    """TARGET_FRACTION of the median over methods of the first epoch's cost."""
    first_epoch = mean_curves(result_set)[:, 0]
    return TARGET_FRACTION * float(_quiet(np.nanmedian, first_epoch))


def analyse(result_set: ResultSet) -> ExperimentAnalysis:
    resolution = plotted_resolution(result_set)
    curves = mean_curves(result_set)
    names = [spec.name for spec in result_set.methods]
    overlaps = []
    for first, second in OVERLAP_PAIRS:
        if first in names and second in names:
            statistics = overlap(curves[names.index(first)], curves[names.index(second)], resolution)
            explanation = _explain(result_set, first, second, statistics[0], resolution)
            overlaps.append(OverlapStats(first, second, *statistics, resolution=resolution, explanation=explanation))
    matrix = np.array([[overlap(a, b, resolution)[0] / resolution for b in curves] for a in curves])
    target = target_cost(result_set)
    return ExperimentAnalysis(
        experiment=result_set.experiment,
        rows=_rows(result_set, target),
        markers=_markers(result_set),
        overlaps=overlaps,
        overlap_matrix=matrix,
        paired=paired_comparisons(result_set),
        target_cost=target,
    )


def _median_final(result_set: ResultSet, name: str) -> float:
    finals = _final_costs(result_set)[result_set.method_index(name)]
    runs = np.asarray(result_set.diverged_epoch)[result_set.method_index(name)]
    kept = finals[(runs == 0) & np.isfinite(finals)]
    return float(np.median(kept)) if kept.size else math.nan


def _setting(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_setting(item) for item in value) + "]"
    if isinstance(value, float):
        return number(value)
    return str(value)


def _differences(replica: ResultSet, textbook: ResultSet, name: str) -> list[str]:
    """Settings besides the quirks in which the two runs of a method differ."""
    first = replica.methods[replica.method_index(name)].hyperparams
    second = textbook.methods[textbook.method_index(name)].hyperparams
    differences = []
    for key in sorted((set(first) | set(second)) - set(SCHEDULE_SETTINGS)):
        if first.get(key) != second.get(key):
            differences.append(f"{key} ({_setting(first.get(key, '-'))} vs {_setting(second.get(key, '-'))})")
    return differences


def _effect(replica: ResultSet, textbook: ResultSet, name: str, quirk: str) -> tuple[float, float, str]:
    replica_final = _median_final(replica, name)
    textbook_final = _median_final(textbook, name)
    median, _, _ = seed_summary(replica)
    position = replica.method_index(name)
    runs = np.asarray(replica.diverged_epoch)[position]
    blow_up = divergence_epoch(median[position], int(runs[runs > 0].min()) if np.any(runs > 0) else 0)
    if blow_up:
        first = f"The replica diverges at epoch {blow_up} and ends at {number(replica_final)}; the textbook run ends at {number(textbook_final)}."
    elif not (np.isfinite(replica_final) and np.isfinite(textbook_final)) or min(replica_final, textbook_final) <= 0:
        first = f"The replica ends at {number(replica_final)}, the textbook run at {number(textbook_final)}."
    else:
        ratio = max(replica_final, textbook_final) / min(replica_final, textbook_final)
        if ratio < 1.05:
            first = f"The replica and the textbook run end at about the same cost ({number(replica_final)} vs {number(textbook_final)})."
        else:
            direction = "higher" if replica_final > textbook_final else "lower"
            first = (
                f"The replica ends at {number(replica_final)}, {number(ratio)} times {direction} than "
                f"the textbook run ({number(textbook_final)})."
            )
    confounders = _differences(replica, textbook, name)
    activations = replica.config.get("activation"), textbook.config.get("activation")
    if activations[0] != activations[1] and "ELU" not in quirk:
        confounders.append(f"the activation ({activations[0]} vs {activations[1]})")
    if confounders:
        second = f" The runs also differ in {_listing(confounders)}, so the gap is not this quirk's alone."
    else:
        second = " No other setting differs."
    return replica_final, textbook_final, first + second


def quirk_effects(replica: ResultSet, textbook: ResultSet) -> list[QuirkEffect]:
    """One row per quirk of each replica method that has a textbook counterpart, in a-l order.

    Quirk texts come from reportgen.optimizers.describe(name, "seed-2018").
    """
    textbook_names = {spec.name for spec in textbook.methods}
    effects = []
    for spec in replica.methods:
        if spec.name not in textbook_names:
            continue
        rule = TEXTBOOK_RULES.get(spec.name, f"the textbook {method_title(spec.name, 'textbook')}")
        for quirk in optimizers.describe(spec.name, "seed-2018").quirks:
            replica_final, textbook_final, sentence = _effect(replica, textbook, spec.name, quirk)
            effects.append(QuirkEffect(spec.name, spec.letter, quirk, rule, replica_final, textbook_final, sentence))
    return effects


def _listing(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _names(rows: list[MethodRow]) -> str:
    return _listing([f"{row.letter} ({row.title})" for row in rows])


def _experiment_findings(result_set: ResultSet, analysis: ExperimentAnalysis) -> list[str]:
    experiment = result_set.experiment
    seeds = len(result_set.seeds)
    sentences = [
        f"{experiment}: {len(result_set.methods)} methods trained for {result_set.epochs} epochs on "
        f"{result_set.data['n_train']} training images, {seeds} seed{'s' if seeds != 1 else ''}."
    ]
    ranked = sorted(analysis.rows, key=lambda row: row.rank)
    finished = [row for row in ranked if np.isfinite(row.final_cost)]
    if finished:
        leaders = ", ".join(f"{row.letter} ({row.title}) {number(row.final_cost)}" for row in finished[:3])
        last = ranked[-1]
        sentences.append(
            f"In {experiment} the lowest final costs are {leaders}; the highest is {last.letter} ({last.title}) "
            f"{number(last.final_cost) if np.isfinite(last.final_cost) else 'with no final cost (diverged)'}."
        )
    accuracies = np.array([row.test_accuracy for row in analysis.rows])
    if np.isfinite(accuracies).any():
        best = float(np.nanmax(accuracies))
        winners = [row for row in analysis.rows if row.test_accuracy == best]
        sentences.append(f"In {experiment} the best final test accuracy, {best:.1%}, is reached by {_names(winners)}.")
    diverged = [marker for marker in analysis.markers if marker.kind == "diverged"]
    if diverged:
        sentences.extend(f"In {experiment}, {marker.caption}." for marker in diverged)
    else:
        sentences.append(f"In {experiment} no method diverges.")
    sentences.extend(f"In {experiment}, {marker.caption}." for marker in analysis.markers if marker.kind == "converging")
    letters = {row.method: f"{row.letter} ({row.title})" for row in analysis.rows}
    for stats in analysis.overlaps:
        seen = "can be told apart" if stats.distinguishable else "hide each other"
        separation = (
            f"they first differ by more than {number(stats.tolerance)} at epoch {stats.separation_epoch}"
            if stats.separation_epoch
            else f"they never differ by more than {number(stats.tolerance)}"
        )
        sentences.append(
            f"In {experiment}, {letters[stats.first]} and {letters[stats.second]} {seen} in the main figure: "
            f"at most {number(stats.max_abs_diff)} apart ({number(stats.max_abs_diff / stats.resolution)} pixels); {separation}."
        )
    return sentences


def _comparison_findings(effects: list[QuirkEffect]) -> list[str]:
    by_method = {}
    for effect in effects:
        by_method.setdefault(effect.method, effect)
    compared = [
        effect for effect in by_method.values() if np.isfinite(effect.replica_final_cost) and np.isfinite(effect.textbook_final_cost)
    ]
    if not compared:
        return []
    higher = [effect for effect in compared if effect.replica_final_cost > effect.textbook_final_cost]
    widest = max(compared, key=lambda effect: abs(effect.replica_final_cost - effect.textbook_final_cost))
    return [
        f"The 2018 replica ends with a higher cost than the textbook run for {len(higher)} of {len(compared)} methods "
        f"with a quirk; the widest gap is {widest.letter} ({method_title(widest.method, 'seed-2018')}): {number(widest.replica_final_cost)} vs "
        f"{number(widest.textbook_final_cost)}. The textbook runs also use other hyperparameters, so these gaps "
        "are not the quirks' alone."
    ]


def findings(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], effects: list[QuirkEffect]) -> list[str]:
    """The Summary's sentences: every number and method named is read from the results."""
    sentences = []
    for result_set, analysis in zip(result_sets, analyses):
        sentences.extend(_experiment_findings(result_set, analysis))
    sentences.extend(_comparison_findings(effects))
    return sentences
