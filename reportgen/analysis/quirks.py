"""The 2018 quirks against the textbook rules: what each replica method does differently, and what the two runs measured."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen import optimizers
from reportgen.analysis.curves import first_stop, median_final, seed_summary
from reportgen.analysis.events import divergence_epoch
from reportgen.formatting import listing, number, setting
from reportgen.training.results import ResultSet

# Bookkeeping of the 2018 epoch-based noise schedule (part of that quirk), not a tuning choice.
SCHEDULE_SETTINGS = ("steps_per_epoch",)


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


def _differences(replica: ResultSet, textbook: ResultSet, name: str) -> list[str]:
    """Settings besides the quirks in which the two runs of a method differ."""
    first = replica.methods[replica.method_index(name)].hyperparams
    second = textbook.methods[textbook.method_index(name)].hyperparams
    differences = []
    for key in sorted((set(first) | set(second)) - set(SCHEDULE_SETTINGS)):
        if first.get(key) != second.get(key):
            differences.append(f"{key} ({setting(first.get(key, '-'))} vs {setting(second.get(key, '-'))})")
    return differences


def _effect(replica: ResultSet, textbook: ResultSet, name: str, quirk: str) -> tuple[float, float, str]:
    position = replica.method_index(name)
    replica_final = median_final(replica, position)
    textbook_final = median_final(textbook, textbook.method_index(name))
    median, _, _ = seed_summary(replica)
    blow_up = divergence_epoch(median[position], first_stop(replica, position))
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
    activations = replica.config["network"]["activation"], textbook.config["network"]["activation"]
    if activations[0] != activations[1] and "ELU" not in quirk:
        confounders.append(f"the activation ({activations[0]} vs {activations[1]})")
    if confounders:
        second = f" The runs also differ in {listing(confounders)}, so the gap is not this quirk's alone."
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
        replica_method = optimizers.describe(spec.name, spec.variant)
        for quirk in replica_method.quirks:
            replica_final, textbook_final, sentence = _effect(replica, textbook, spec.name, quirk)
            effects.append(QuirkEffect(spec.name, spec.letter, quirk, replica_method.textbook_rule, replica_final, textbook_final, sentence))
    return effects
