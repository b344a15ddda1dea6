"""Evidence about the code, computed each time the report is built: the report's Verification section.

``gradient`` (the network's backprop against central finite differences),
``parity`` (the textbook methods against trajectories recorded with torch.optim and other libraries,
with and without learning-rate schedules, and our schedules' learning rates against torch's),
``trainers`` (the fast engine against the plain reference trainer). Each
gives ``Check`` rows; ``verify`` runs them all. They read the code, not the
results, so this stage sits after training and before the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.verification import gradient, parity, trainers
from reportgen.verification.checks import Check


@dataclass(frozen=True)
class Verification:
    """The checks by group, and the settings the report's text states about them."""

    gradient: list[Check]
    parity: list[Check]  # grouped by library, in the order of parity_sources
    schedules: list[Check]  # learning-rate sequences, grouped the same way
    engine: list[Check]
    finite_difference_step: float
    weights_per_layer: int
    weight_seed: int  # the starting weights of the gradient check
    parity_sources: tuple[parity.Source, ...]  # which library recorded which trajectories, with what
    engine_sizes: tuple[int, ...]
    engine_images: int
    engine_epochs: int

    @property
    def checks(self) -> list[Check]:
        return [*self.gradient, *self.parity, *self.schedules, *self.engine]

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    @property
    def nearest(self) -> Check:
        """The check with the least room: the largest deviation relative to its tolerance."""
        return max(self.checks, key=lambda check: check.value / check.tolerance)


def verify() -> Verification:
    return Verification(
        gradient=gradient.checks(),
        parity=parity.checks(),
        schedules=parity.schedule_checks(),
        engine=trainers.checks(),
        finite_difference_step=gradient.STEP,
        weights_per_layer=gradient.WEIGHTS_PER_LAYER,
        weight_seed=gradient.WEIGHT_SEED,
        parity_sources=parity.sources(),
        engine_sizes=trainers.SIZES,
        engine_images=trainers.N_TRAIN,
        engine_epochs=trainers.EPOCHS,
    )
