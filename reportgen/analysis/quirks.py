"""The 2018 quirks, one at a time: each ablation arm against its baseline, paired seed by seed.

An arm changes exactly one quirk (``reportgen.ablation.plan``); its effect is
the paired difference of the final plotted cost (the logged training cost of
the last epoch), arm minus baseline, over the ablation's seeds, with the
sign-test interval of ``reportgen.analysis.paired``. A run that stopped as
diverged has no final cost: such seeds are counted, not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen.analysis.curves import COST_METRIC
from reportgen.analysis.paired import PairedDifference, paired_difference
from reportgen.formatting import share
from reportgen.training.results import RunMetrics

if TYPE_CHECKING:  # the ablation's runs reach the analysis as plain data; importing them here would cycle through reportgen.sweep
    from reportgen.ablation.run import Ablation


@dataclass(frozen=True)
class QuirkEffect:
    """One quirk changed alone in one setup: what the arm measured against its baseline."""

    experiment: str  # the setup: the replica ("fix": the quirk undone) or textbook ("add": the quirk added)
    direction: str
    method: str
    letter: str
    quirk: str
    textbook_rule: str
    seeds: int
    seed_list: tuple[int, ...]
    baseline_costs: tuple[float, ...]  # final cost per seed, NaN where the run stopped as diverged
    arm_costs: tuple[float, ...]
    baseline_final: float  # median over seeds of the final cost
    arm_final: float
    stopped: tuple[int, int]  # runs that stopped as diverged: baseline, arm
    difference: PairedDifference  # arm - baseline, per seed
    effect: str  # the sentence the report prints


def _final_costs(runs: list[RunMetrics]) -> np.ndarray:
    """Per run, its last logged cost; NaN where it stopped as diverged (curves.final_costs does this for a ResultSet)."""
    return np.array([run.arrays[COST_METRIC][-1] if not run.diverged_epoch else np.nan for run in runs])


def _sentence(direction: str, difference: PairedDifference, stopped: tuple[int, int], seeds: int) -> str:
    """What the arm did, in words; its numbers stand in the table's columns beside it."""
    change = "Undoing it" if direction == "fix" else "Adding it"
    parts = []
    if stopped[1] != stopped[0]:
        parts.append(f"{change} makes {stopped[1]} of {seeds} runs stop as diverged (baseline: {stopped[0]}).")
    if difference.pairs == 0:
        return " ".join(parts) or "No seed has a final cost in both runs."
    if difference.tie:
        why = "too few seeds for a 95% interval" if difference.coverage != difference.coverage else "the interval includes zero"
        parts.append(f"No effect shown: {why}.")
    else:
        lower = difference.median < 0
        count = difference.first_lower if lower else difference.second_lower
        parts.append(f"{change} {'lowers' if lower else 'raises'} the final cost ({'lower' if lower else 'higher'} in {count} of {difference.pairs} seeds, coverage {share(difference.coverage)}).")
    return " ".join(parts)


def quirk_effects(ablation: Ablation) -> list[QuirkEffect]:
    """One row per arm, in the plan's order (a-l, each method's quirks in their order, the activation last)."""
    effects = []
    for arm_runs in ablation.arms:
        arm = arm_runs.arm
        baseline, changed = _final_costs(arm_runs.baseline), _final_costs(arm_runs.runs)
        stopped = (int(np.isnan(baseline).sum()), int(np.isnan(changed).sum()))
        difference = paired_difference(changed, baseline)
        baseline_final = float(np.nanmedian(baseline)) if np.isfinite(baseline).any() else float("nan")
        effects.append(
            QuirkEffect(
                experiment=ablation.plan.experiment.name,
                direction=ablation.plan.direction,
                method=arm.baseline.name,
                letter=arm.baseline.letter,
                quirk=arm.quirk,
                textbook_rule=arm.textbook_rule,
                seeds=len(ablation.plan.seeds),
                seed_list=tuple(ablation.plan.seeds),
                baseline_costs=tuple(float(cost) for cost in baseline),
                arm_costs=tuple(float(cost) for cost in changed),
                baseline_final=baseline_final,
                arm_final=float(np.nanmedian(changed)) if np.isfinite(changed).any() else float("nan"),
                stopped=stopped,
                difference=difference,
                effect=_sentence(ablation.plan.direction, difference, stopped, len(ablation.plan.seeds)),
            )
        )
    return effects
