"""One training run as an independent task: what the runner hands to a trainer."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.training.results import MethodSpec

# A run stops as diverged at the first epoch whose cost or weights are not
# finite, or whose largest absolute weight exceeds this. The cost itself is
# bounded (sigmoid output, 0.5 per sample at most), so a blow-up shows in
# the weights first.
DEFAULT_DIVERGENCE_THRESHOLD = 1e6


@dataclass(frozen=True)
class RunSpec:
    method: MethodSpec
    seed: int
    epochs: int
    batch_size: int = 1
    activation: str = "elu"  # "elu" or "elu_2018", see reportgen.model.network
    sizes: tuple[int, ...] = (784, 256, 128, 1)
    dtype: str = "float64"  # "float32" is opt-in and recorded in the report
    shuffle: bool = False  # reshuffle the training order every epoch
    divergence_threshold: float = DEFAULT_DIVERGENCE_THRESHOLD
    record_timings: bool = True  # False writes 0 seconds so outputs are byte-identical
    engine: str = "fused"  # "fused": the update kernels where they apply; "numpy": the NumPy parts only (same bits)

    @property
    def label(self) -> str:
        return f"{self.method.name}/{self.method.variant}/seed {self.seed}"


def run_specs(config: dict, methods) -> list[RunSpec]:
    """Every run of a validated config: methods outer, seeds inner.

    Here rather than beside the config: how the settings become a run decides
    the numbers, so this code is inside the results' cache key.
    """
    training, network = config["training"], config["network"]
    return [
        RunSpec(
            method=method,
            seed=seed,
            epochs=training["epochs"],
            batch_size=training["batch_size"],
            activation=network["activation"],
            sizes=(784, *network["hidden"], 1),
            dtype=training["dtype"],
            shuffle=training["shuffle"],
            divergence_threshold=training["divergence_threshold"],
            record_timings=training["record_timings"],
            engine=training["engine"],
        )
        for method in methods
        for seed in training["seeds"]
    ]
