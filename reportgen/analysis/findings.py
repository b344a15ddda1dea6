"""The Summary's sentences, written from the analysis: every number and method named is read from the results."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reportgen import optimizers
from reportgen.analysis.curves import gradient_free
from reportgen.analysis.overlap import geometry
from reportgen.analysis.paired import MIN_PAIRS
from reportgen.analysis.provenance import images
from reportgen.analysis.quirks import QuirkEffect
from reportgen.analysis.ranking import not_told_apart
from reportgen.analysis.tables import MethodRow
from reportgen.formatting import listing, number, percent, rank_range, share
from reportgen.training.results import ResultSet

if TYPE_CHECKING:  # defined in the package, which imports this module
    from reportgen.analysis import ExperimentAnalysis


def _names(rows: list[MethodRow]) -> str:
    return listing([f"{row.letter} ({row.title})" for row in rows])


def _cost(row: MethodRow) -> str:
    return number(row.final_cost, row.final_cost_digits)


def _leaders(result_set: ResultSet, analysis: ExperimentAnalysis) -> str:
    """One sentence: the three lowest final costs and the highest (with their ranks when the seeds test them); "" when no run finished."""
    ranked = sorted(analysis.rows, key=lambda row: row.rank)
    finished = [row for row in ranked if np.isfinite(row.final_cost)]
    if not finished:
        return ""
    last, ranking = ranked[-1], analysis.ranking
    highest = _cost(last) if np.isfinite(last.final_cost) else "with no final cost (diverged)"
    if not ranking.tested:
        costs = f"final costs of the single runs (seed {result_set.seeds[0]})" if ranking.seeds == 1 else "median final costs"
        leaders = ", ".join(f"{row.letter} ({row.title}) {_cost(row)}" for row in finished[:3])
        return f"In {result_set.experiment} the lowest {costs} are {leaders}; the highest is {last.letter} ({last.title}) {highest}."
    leaders = ", ".join(f"{row.letter} ({row.title}) {_cost(row)} (rank {rank_range(row.rank_low, row.rank_high)})" for row in finished[:3])
    return (
        f"In {result_set.experiment} the lowest median final costs are {leaders}; the highest is {last.letter} ({last.title}) {highest} "
        f"(rank {rank_range(last.rank_low, last.rank_high)})."
    )


def _rank_findings(result_set: ResultSet, analysis: ExperimentAnalysis) -> list[str]:
    """The lowest and highest final costs, with the ranks the paired intervals allow (or the word that none is tested)."""
    leaders, ranking = _leaders(result_set, analysis), analysis.ranking
    if not leaders:
        return []
    if not ranking.tested:
        first = min(analysis.rows, key=lambda row: row.rank)
        return [
            f"{leaders} With {ranking.seeds} seed{'s' if ranking.seeds != 1 else ''} no paired "
            f"interval exists (a 95% sign-test interval needs {MIN_PAIRS} seeds), so this order is untested: "
            f"{first.letter} ({first.title}) can rank {rank_range(first.rank_low, first.rank_high)}, as can every method that does not diverge."
        ]
    sentences = [
        f"{leaders} A rank is the range the paired sign-test intervals over "
        f"{ranking.seeds} seeds allow ({share(ranking.coverage)} coverage each): a method ranks below each method shown to end lower."
    ]
    if ranking.steps:
        step, rows = ranking.steps[0], {row.method: row for row in analysis.rows}
        upper, lower, difference = rows[step.above], rows[step.below], step.difference
        verdict = f"{rows[step.shown_lower].letter} is lower" if step.shown_lower else "a tie"
        interval = (
            f"{share(difference.coverage)} interval {number(difference.low)} to {number(difference.high)}"
            if np.isfinite(difference.coverage)
            else "too few runs finished for an interval"
        )
        sentences.append(
            f"In {result_set.experiment} the first two, {upper.letter} ({upper.title}) and {lower.letter} ({lower.title}), differ by a median of "
            f"{number(difference.median)} over {difference.pairs} seeds ({interval}; {upper.letter} lower in {difference.first_lower} "
            f"of {difference.pairs}, sign-test p = {number(difference.p_value)}): {verdict}."
        )
    return sentences


def _accuracy_finding(result_set: ResultSet, analysis: ExperimentAnalysis) -> list[str]:
    """The highest median test accuracy, its ties, and the accuracy step of the test set."""
    accuracies = np.array([row.test_accuracy for row in analysis.rows])
    if not np.isfinite(accuracies).any():
        return []
    best = float(np.nanmax(accuracies))
    top = [row for row in analysis.rows if row.test_accuracy == best]
    step, seeds = analysis.accuracy_step, analysis.ranking.seeds
    sentence = (
        f"In {result_set.experiment} the highest median final test accuracy is {percent(best)}, reached by {_names(top)}; "
        f"{round(1 / step)} test images give accuracy in steps of {number(100 * step)} points (one image), so equal accuracies are ties"
    )
    if not analysis.ranking.tested:
        return [f"{sentence}, and with {seeds} seed{'s' if seeds != 1 else ''} no accuracy difference is tested."]
    final = result_set.metric("test_accuracy")[:, :, -1]
    reference = analysis.rows.index(top[0])
    measured = [row for row in analysis.rows if np.isfinite(row.test_accuracy) and row not in top]  # a method with no accuracy is not a tie
    close = [analysis.rows[other] for other in not_told_apart(final, reference) if analysis.rows[other] in measured]
    below = (
        f"{_names(close)} cannot be told apart from {top[0].letter} either"
        if close
        else f"every method below {percent(best)} is shown less accurate than {top[0].letter}"
    )
    return [f"{sentence}; paired over {seeds} seeds, {below}."]


def _experiment_findings(result_set: ResultSet, analysis: ExperimentAnalysis) -> list[str]:
    experiment = result_set.experiment
    seeds = len(result_set.seeds)
    sentences = [
        f"{experiment}: {len(result_set.methods)} methods trained for {result_set.epochs} epochs on "
        f"{result_set.data['n_train']} training images from {images(result_set.data)}, {seeds} seed{'s' if seeds != 1 else ''}."
    ]
    sentences.extend(_rank_findings(result_set, analysis))
    sentences.extend(_accuracy_finding(result_set, analysis))
    diverged = [marker for marker in analysis.markers if marker.kind == "diverged"]
    if diverged:
        sentences.extend(f"In {experiment}, {marker.caption}." for marker in diverged)
    else:
        sentences.append(f"In {experiment} no method diverges.")
    sentences.extend(f"In {experiment}, {marker.caption}." for marker in analysis.markers if marker.kind == "converging")
    # Only the geometry: the cause is told once, in the Overlap analysis.
    sentences.extend(f"In {experiment}, {geometry(result_set, stats)}" for stats in _gradient_free_pairs(result_set, analysis))
    return sentences


def _gradient_free_pairs(result_set: ResultSet, analysis: ExperimentAnalysis) -> list:
    return [stats for stats in analysis.overlaps if gradient_free(result_set.methods[result_set.method_index(stats.first)])]


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
            sentence += f"; the largest is {largest.letter} ({optimizers.describe(largest.method, 'seed-2018').title}): {largest.quirk} (median change {number(largest.difference.median)})"
        sentences.append(sentence + ".")
    return sentences


def takeaway(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis]) -> list[str]:
    """The first screen's three sentences, each one of the findings: who ends lowest in each experiment, then whether
    the first gradient-free pair can be seen apart (the 2018 article's own question)."""
    experiments = list(zip(result_sets, analyses))
    leaders = [sentence for result_set, analysis in experiments if (sentence := _leaders(result_set, analysis))]
    pairs = [f"In {result_set.experiment}, {geometry(result_set, stats)}" for result_set, analysis in experiments for stats in _gradient_free_pairs(result_set, analysis)]
    return (leaders[:2] + pairs[:1] + leaders[2:])[:3]


def findings(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], effects: list[QuirkEffect]) -> list[str]:
    """The Summary's sentences: every number and method named is read from the results."""
    sentences = []
    for result_set, analysis in zip(result_sets, analyses):
        sentences.extend(_experiment_findings(result_set, analysis))
    sentences.extend(_ablation_findings(effects))
    return sentences
