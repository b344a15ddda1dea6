"""Events on a cost curve: where a run diverges (the article's red star) and where a slow method starts to converge (its brown star).

Each event has one definition, here, used by the figures, the tables and the sentences alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analysis.curves import first_stop, method_title, seed_summary
from reportgen.formatting import number
from reportgen.training.results import ResultSet

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


@dataclass(frozen=True)
class Marker:
    """An automatic annotation on the cost plot."""

    method: str
    letter: str
    kind: str  # "diverged" (the article's red star) | "converging" (its brown star)
    epoch: int  # 1-based
    cost: float  # y value to place the marker at
    caption: str


def convergence_window(epochs: int) -> int:
    return max(MIN_WINDOW, int(round(CONVERGENCE_WINDOW_FRACTION * epochs)))


def divergence_epoch(curve: np.ndarray, stopped_epoch: int = 0) -> int:
    """1-based epoch where a cost curve diverges, 0 if it does not.

    A run that stopped as diverged diverges at its ``stopped_epoch``.
    Otherwise the curve blows up: from some epoch on, every cost (NaN counts
    as above) exceeds the starting cost curve[0] by more than
    DIVERGENCE_MARGIN, and somewhere in that final stretch the cost exceeds
    BLOW_UP times the lowest cost reached before it; it diverges at the first
    epoch of the stretch, where the climb that never returns starts. A slow
    drift upwards that stays under BLOW_UP (noise training) is not a blow-up. The 2018 Adadelta
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
    start = max(start, 1)
    lowest_before = float(np.nanmin(curve[:start]))
    stretch = np.where(np.isfinite(curve[start:]), curve[start:], np.inf)
    return start + 1 if stretch.max() > BLOW_UP * lowest_before else 0


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


def markers(result_set: ResultSet) -> list[Marker]:
    median, _, _ = seed_summary(result_set)
    window = convergence_window(result_set.epochs)
    diverged = np.asarray(result_set.diverged_epoch)
    markers = []
    for position, spec in enumerate(result_set.methods):
        curve = median[position]
        label = f"{spec.letter} ({method_title(spec)})"
        stopped = first_stop(result_set, position)
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
