"""One run from start to finish: its seed gives the weights and the noise, a trainer does the steps.

``train_one`` is the task every executor runs. Each run carries everything it
needs, so results are bit-identical whatever the executor and worker count.
"""

from __future__ import annotations

from types import ModuleType

from reportgen.data import Split
from reportgen.training import engine, lockstep, seeding
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import LockstepSpec, RunSpec


def train_with(trainer: ModuleType, spec: RunSpec, split: Split) -> RunMetrics:
    """Train ``spec`` with ``trainer`` (``engine`` or ``reference``): weights, noise and order from the spec's seed only."""
    params = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
    noise = seeding.noise_stream(spec.seed, spec.noise_variant, split.pool_size, spec.sizes, spec.noise_stream)
    return trainer.train(spec, split, params, noise, seeding.order_stream(spec.seed))


def train_one(spec: RunSpec, split: Split) -> RunMetrics:
    """One independent task, trained by the engine."""
    return train_with(engine, spec, split)


def train_task(task: tuple[int, RunSpec | LockstepSpec, str], splits: dict[str, Split]):
    """What an executor runs: ``(index, spec, data fingerprint)`` with every split the batch trains on.

    A run gives its RunMetrics; a lockstep group (comparison, [RunMetrics of each run]).
    """
    _, spec, data_key = task
    if isinstance(spec, LockstepSpec):
        return lockstep.train_group(spec, splits[data_key])
    return train_one(spec, splits[data_key])
