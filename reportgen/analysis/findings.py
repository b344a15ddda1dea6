"""The Summary's sentences, written from the analysis: every number and method named is read from the results."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis.curves import gradient_free, method_title
from reportgen.analysis.quirks import QuirkEffect
from reportgen.analysis.tables import MethodRow
from reportgen.formatting import listing, number, percent
from reportgen.training.results import ResultSet

if TYPE_CHECKING:  # defined in the package, which imports this module
    from reportgen.analysis import ExperimentAnalysis


def _names(rows: list[MethodRow]) -> str:
    return listing([f"{row.letter} ({row.title})" for row in rows])


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
        sentences.append(f"In {experiment} the best final test accuracy, {percent(best)}, is reached by {_names(winners)}.")
    diverged = [marker for marker in analysis.markers if marker.kind == "diverged"]
    if diverged:
        sentences.extend(f"In {experiment}, {marker.caption}." for marker in diverged)
    else:
        sentences.append(f"In {experiment} no method diverges.")
    sentences.extend(f"In {experiment}, {marker.caption}." for marker in analysis.markers if marker.kind == "converging")
    sentences.extend(f"In {experiment}, {stats.explanation}" for stats in analysis.overlaps if gradient_free(result_set.methods[result_set.method_index(stats.first)]))
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
