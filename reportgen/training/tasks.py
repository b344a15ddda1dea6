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
