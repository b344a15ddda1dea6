"""Numbers and sentences the report states, computed from ResultSets: plain frozen dataclasses, no plotting, no HTML.

``curves`` (seed summaries, the plotted geometry) -> ``events`` (red and
brown stars), ``overlap`` (curves that hide each other), ``tables`` (rows,
ranks), ``ranking`` (the paired comparisons behind the ranks), ``quirks``
(replica against textbook) ->
``findings`` (the sentences). ``analyse`` runs them all; the caller hands its
result to the report, which only arranges it. ``claims`` tests the 2018
article's claims on a replica (the report calls it, with any sweep), and
``provenance`` says which images a run used. ``scores`` and ``profiles`` score
methods across a suite of problems: times to a target, performance profiles,
AlgoPerf's integrated score and speed-ups against SGD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis import events, findings, overlap, quirks, ranking, tables
from reportgen.analysis.curves import final_costs
from reportgen.analysis.events import Marker
from reportgen.analysis.overlap import OverlapStats
from reportgen.analysis.quirks import QuirkEffect
from reportgen.analysis.ranking import Ranking
from reportgen.analysis.tables import MethodRow
from reportgen.training.results import ResultSet

if TYPE_CHECKING:  # the ablation's runs reach the analysis as plain data; importing them here would cycle through reportgen.sweep
    from reportgen.ablation.run import Ablation

TEXTBOOK_VARIANT = "textbook"


@dataclass(frozen=True)
class ExperimentAnalysis:
    """overlap_matrix[i, j]: the largest gap between plotted curves i and j (medians over seeds) in pixels of the main figure's
    panel that draws both (NaN when different panels draw them)."""

    experiment: str
    rows: list[MethodRow]
    markers: list[Marker]
    overlaps: list[OverlapStats]
    overlap_matrix: np.ndarray
    ranking: Ranking
    target_cost: float
    target_rule: str  # where target_cost comes from, in words
    accuracy_step: float  # one test image's share of the accuracy: 1 / n_test


@dataclass(frozen=True)
class Analysis:
    """Everything the report states about a set of experiments, in their order."""

    experiments: list[ExperimentAnalysis]
    quirk_effects: list[QuirkEffect]  # from the stored quirk ablations; empty without them
    findings: list[str]
    takeaway: list[str]  # three of the findings, for the first screen


def analyse_experiment(result_set: ResultSet) -> ExperimentAnalysis:
    target = tables.target_cost(result_set)
    rows = tables.rows(result_set, target)
    return ExperimentAnalysis(
        experiment=result_set.experiment,
        rows=rows,
        markers=events.markers(result_set),
        overlaps=overlap.overlaps(result_set),
        overlap_matrix=overlap.overlap_matrix(result_set),
        ranking=ranking.of_rows(rows, final_costs(result_set)),
        target_cost=target,
        target_rule=tables.target_rule(result_set),
        accuracy_step=1.0 / result_set.config["data"]["n_test"],
    )


def variant_of(result_set: ResultSet) -> str:
    """The variant all of an experiment's methods use, or the list of them when they mix."""
    variants = sorted({spec.variant for spec in result_set.methods})
    return ", ".join(variants)


def analyse(result_sets: list[ResultSet], ablations: list[Ablation] = ()) -> Analysis:
    experiments = [analyse_experiment(result_set) for result_set in result_sets]
    effects = [effect for ablation in ablations for effect in quirks.quirk_effects(ablation)]
    return Analysis(experiments, effects, findings.findings(result_sets, experiments, effects), findings.takeaway(result_sets, experiments))
