"""One run from start to finish: its seed gives the weights and the noise, a trainer does the steps.

``train_one`` is the task every executor runs. Each run carries everything it
needs, so results are bit-identical whatever the executor and worker count.
"""

from __future__ import annotations

from types import ModuleType

from reportgen.data import Split
from reportgen.training import engine, lockstep, problem_engine, seeding
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import LockstepSpec, RunSpec


def train_with(trainer: ModuleType, spec: RunSpec, split: Split) -> RunMetrics:
    """Train ``spec`` with ``trainer`` (``engine`` or ``reference``): weights, noise and order from the spec's seed only."""
    params = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
    noise = seeding.noise_stream(spec.seed, spec.noise_variant, split.pool_size, spec.sizes, spec.noise_stream)
    return trainer.train(spec, split, params, noise, seeding.order_stream(spec.seed))


def train_problem(spec: RunSpec, data) -> RunMetrics:
    """A run on a problem of ``reportgen.problems``: its initial parameters for the seed, the seed's textbook
    noise stream for the method, the seed's order stream for the batches and the problem's gradient noise."""
    params = spec.create_problem().initial_params(spec.seed)
    noise = seeding.generator_stream(spec.seed, spec.noise_stream)
    return problem_engine.train(spec, data, params, noise, seeding.order_stream(spec.seed))


def train_one(spec: RunSpec, split) -> RunMetrics:
    """One independent task, trained by the engine (``problem_engine`` for a problem other than the 2018 network)."""
    return train_with(engine, spec, split) if spec.on_network else train_problem(spec, split)


def train_task(task: tuple[int, RunSpec | LockstepSpec, str], splits: dict[str, Split]):
    """What an executor runs: ``(index, spec, data fingerprint)`` with every split the batch trains on.

    A run gives its RunMetrics; a lockstep group (comparison, [RunMetrics of each run]).
    """
    _, spec, data_key = task
    if isinstance(spec, LockstepSpec):
        return lockstep.train_group(spec, splits[data_key])
    return train_one(spec, splits[data_key])
