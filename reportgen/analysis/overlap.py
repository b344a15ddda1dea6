"""Curves that hide each other: how far apart two methods' curves are, in the plotted figure's pixels, and why.

The explanation sets the Gumbel drift of noise training (lr x 0.5772 per
step) against the size of the Gaussian a method adds, from the run's own
hyperparameters and step count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import LINE_WIDTH_PIXELS, adds_gaussian_noise, gradient_free, mean_curves, training_steps
from reportgen.formatting import number
from reportgen.training.results import ResultSet

EULER_GAMMA = 0.5772156649015329  # mean of a standard Gumbel(0, 1) sample
GUMBEL_SD = math.pi / math.sqrt(6.0)  # 1.2825, its standard deviation
# Two curves "separate" once they differ by more than this fraction of the
# range the pair spans (what a view zoomed onto the pair would show).
SEPARATION_FRACTION = 0.01
OVERLAP_PAIRS = (("noise_training", "noise_gaussian"), ("noise_training", "gaussian_noise"))


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


def gaussian_noise_sizes(result_set: ResultSet, name: str) -> tuple[float, float, float]:
    """(first-step sd, last-step sd, sqrt of the summed variances over the run) of the added Gaussian.

    seed-2018: one scalar per step, sd = eta / (1 + epoch)^gamma, epoch counted
    from 0 (eta = 0.001, gamma = 0.55). textbook: per element, variance
    eta / (1 + t)^gamma at step t counted from 0.
    """
    spec = result_set.methods[result_set.method_index(name)]
    per_epoch, steps = training_steps(result_set)
    eta, gamma = spec.hyperparams["eta"], spec.hyperparams["gamma"]
    if spec.variant == "seed-2018":
        sd = eta / (1.0 + np.arange(steps) // per_epoch) ** gamma
    else:
        sd = np.sqrt(eta / (1.0 + np.arange(steps)) ** gamma)
    return float(sd[0]), float(sd[-1]), float(np.sqrt(np.sum(sd**2)))


def explain(result_set: ResultSet, first: str, second: str, max_difference: float, resolution: float) -> str:
    """Why two curves overlap (or not), from the run's own hyperparameters and step count."""
    per_epoch, steps = training_steps(result_set)
    curves = mean_curves(result_set)
    index = {spec.name: position for position, spec in enumerate(result_set.methods)}
    spec_first, spec_second = result_set.methods[index[first]], result_set.methods[index[second]]
    pixels = max_difference / resolution if resolution > 0 else math.nan
    gap = f"The curves differ by at most {number(max_difference)} ({number(pixels)} pixels of the main figure)."
    lr = spec_first.hyperparams["lr"]
    drift = lr * EULER_GAMMA * steps
    wobble = lr * GUMBEL_SD * math.sqrt(steps)
    gumbel = (
        f"Over {steps:,} steps ({result_set.epochs} epochs x {per_epoch} per epoch) the Gumbel noise of "
        f"{first} moves every weight by lr x 0.5772 x steps = {number(lr)} x 0.5772 x {steps:,} = {number(drift)} "
        f"in the same direction (random spread lr x 1.2825 x sqrt(steps) = {number(wobble)})"
    )
    both_gradient_free = gradient_free(spec_first) and gradient_free(spec_second)
    if both_gradient_free and (adds_gaussian_noise(spec_first) or adds_gaussian_noise(spec_second)):
        noisy = spec_second if adds_gaussian_noise(spec_second) else spec_first
        first_sd, last_sd, total = gaussian_noise_sizes(result_set, noisy.name)
        shared = "one scalar per step shared by all weights" if noisy.variant == "seed-2018" else "per element"
        added = noisy.hyperparams["lr"] * total
        ratio = drift / added if added > 0 else math.inf
        return (
            f"{gumbel}; the Gaussian that {noisy.name} adds ({shared}, sd {number(first_sd)} falling to {number(last_sd)}) "
            f"moves it by lr x sqrt(sum of variances) = {number(added)}, {number(ratio)} times less. {gap}"
        )
    describe_run = []
    for name in (first, second):
        curve = curves[index[name]]
        finite = curve[np.isfinite(curve)]
        if finite.size:
            describe_run.append(f"{name} goes from {number(finite[0])} to {number(finite[-1])}")
    sentence = "; ".join(describe_run)
    if gradient_free(spec_first) and not gradient_free(spec_second):
        sentence = f"{gumbel}, using no gradient, while {second} follows the gradient: {sentence}"
    return f"{sentence}. {gap}"


def overlaps(result_set: ResultSet, resolution: float) -> list[OverlapStats]:
    """The statistics of each pair of OVERLAP_PAIRS the experiment holds, on the mean curves."""
    curves = mean_curves(result_set)
    names = [spec.name for spec in result_set.methods]
    found = []
    for first, second in OVERLAP_PAIRS:
        if first in names and second in names:
            statistics = overlap(curves[names.index(first)], curves[names.index(second)], resolution)
            explanation = explain(result_set, first, second, statistics[0], resolution)
            found.append(OverlapStats(first, second, *statistics, resolution=resolution, explanation=explanation))
    return found


def overlap_matrix(result_set: ResultSet, resolution: float) -> np.ndarray:
    """[i, j]: the largest gap between mean curves i and j, in pixels of the main figure."""
    curves = mean_curves(result_set)
    return np.array([[overlap(a, b, resolution)[0] / resolution for b in curves] for a in curves])
