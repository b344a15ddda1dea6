"""The Summary's sentences, written from the analysis: every number and method named is read from the results."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis.curves import gradient_free, method_title
from reportgen.analysis.provenance import images
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
        f"{result_set.data['n_train']} training images from {images(result_set.data)}, {seeds} seed{'s' if seeds != 1 else ''}."
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


def _ablation_findings(effects: list[QuirkEffect]) -> list[str]:
    """Per ablated setup: how many quirks change the final cost beyond their paired interval, and the largest."""
    sentences = []
    for experiment in dict.fromkeys(effect.experiment for effect in effects):
        mine = [effect for effect in effects if effect.experiment == experiment]
        shown = [effect for effect in mine if not effect.difference.tie]
        changed = "undone" if mine[0].direction == "fix" else "added"
        sentence = f"In {experiment}, with each 2018 quirk {changed} alone over {mine[0].seeds} paired seeds, {len(shown)} of {len(mine)} change the final cost beyond their interval"
        if shown:
            largest = max(shown, key=lambda effect: abs(effect.difference.median))
            sentence += f"; the largest is {largest.letter} ({method_title(largest.method, 'seed-2018')}): {largest.quirk} (median change {number(largest.difference.median)})"
        sentences.append(sentence + ".")
    return sentences


def findings(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], effects: list[QuirkEffect]) -> list[str]:
    """The Summary's sentences: every number and method named is read from the results."""
    sentences = []
    for result_set, analysis in zip(result_sets, analyses):
        sentences.extend(_experiment_findings(result_set, analysis))
    sentences.extend(_ablation_findings(effects))
    return sentences
