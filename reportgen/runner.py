"""The batch runner: every (method, variant, seed) of an experiment, trained once and stored.

``run_experiment`` looks up the result set for the experiment's cache key,
trains only the runs the store does not hold yet (each saved as it finishes,
so an interrupted build resumes), and stacks them into a ``ResultSet``.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass

import numpy as np

import reportgen
from reportgen import dataset, engine, seeding
from reportgen.config import Experiment
from reportgen.errors import RunError
from reportgen.progress import Progress
from reportgen.results import EPOCH_METRICS, LAYER_METRICS, ResultSet, RunMetrics
from reportgen.store import ResultStore, cache_key
from reportgen.tasks import RunSpec

SAMPLE_DIGITS = 8


@dataclass
class RunReport:
    """What ``run_experiment`` did, for the command line to print."""

    result_set: ResultSet
    trained: int
    reused: int
    seconds: float


def load_split(experiment: Experiment) -> dataset.Split:
    data = experiment.config["data"]
    return dataset.load(
        source=data["source"],
        path=data["path"] or None,
        split=data["split"],
        n_train=data["n_train"],
        n_test=data["n_test"],
        selection_seed=data["selection_seed"],
    )


def experiment_key(experiment: Experiment, split: dataset.Split) -> str:
    return cache_key(experiment.config_hash(), split.fingerprint)


def train_one(spec: RunSpec, split: dataset.Split) -> RunMetrics:
    """One independent task: its weights and noise come from its own seed only."""
    sizes = spec.sizes
    params = seeding.initial_weights(spec.seed, split.pool_size, sizes)
    noise = seeding.noise_stream(spec.seed, spec.method.variant, split.pool_size, sizes)
    return engine.train(spec, split, params, noise, seeding.order_stream(spec.seed))


def expected_work(spec: RunSpec) -> int:
    """Relative cost of a run within its experiment: a step that draws noise for every weight costs about twice a gradient step."""
    per_weight_noise = spec.method.name in ("noise_training", "noise_gaussian", "adam_noise") or (
        spec.method.name == "gaussian_noise" and spec.method.variant == "textbook"
    )
    return 2 if per_weight_noise else 1


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "numpy": np.__version__, "reportgen": reportgen.__version__}


def run_key(spec: RunSpec) -> tuple[str, str, int]:
    """Identifies a run within an experiment (RunSpec holds a dict, so it cannot be a key itself)."""
    return spec.method.name, spec.method.variant, spec.seed


def stack(experiment: Experiment, split: dataset.Split, key: str, runs: dict[tuple, RunMetrics], seconds: float) -> tuple[ResultSet, list[list[str]]]:
    specs = experiment.run_specs()
    methods, seeds = list(experiment.methods), experiment.seeds
    epochs = specs[0].epochs

    def grid(name: str) -> np.ndarray:
        return np.stack([np.stack([runs[run_key(spec)].arrays[name] for spec in specs if spec.method == method]) for method in methods])

    arrays = {name: grid(name) for name in (*EPOCH_METRICS, *LAYER_METRICS)}
    diverged = np.array([[runs[run_key(spec)].diverged_epoch for spec in specs if spec.method == method] for method in methods], dtype=np.int64)
    reasons = [[runs[run_key(spec)].divergence_reason for spec in specs if spec.method == method] for method in methods]
    labels = split.y_train[:SAMPLE_DIGITS, 0].astype(np.int64)
    result_set = ResultSet(
        experiment=experiment.name,
        description=experiment.description,
        config=experiment.config,
        key=key,
        data={**split.description, "fingerprint": split.fingerprint, "pool_size": split.pool_size},
        methods=methods,
        seeds=seeds,
        epochs=epochs,
        arrays=arrays,
        diverged_epoch=diverged,
        samples=split.train_images[:SAMPLE_DIGITS].reshape(-1, 28, 28).astype(np.uint8),
        sample_labels=labels,
        versions=versions(),
        timings={"train_seconds": round(seconds, 3)} if experiment.config["training"]["record_timings"] else {},
    )
    return result_set, reasons


def run_experiment(experiment: Experiment, store: ResultStore, executor, *, force: bool = False, quiet: bool = False) -> RunReport:
    started = time.monotonic()
    split = load_split(experiment)
    key = experiment_key(experiment, split)
    if not force:
        cached = store.load(experiment.name, key)
        if cached is not None:
            return RunReport(cached, trained=0, reused=len(experiment.run_specs()), seconds=time.monotonic() - started)

    directory = store.directory(experiment.name, key)
    specs = experiment.run_specs()
    runs: dict[tuple, RunMetrics] = {}
    if not force:
        for spec in specs:
            found = store.load_run(directory, spec)
            if found is not None:
                runs[run_key(spec)] = found
    reused = len(runs)
    # longest first, so the pool does not end waiting on one slow run
    pending = sorted((spec for spec in specs if run_key(spec) not in runs), key=expected_work, reverse=True)
    failures: list[str] = []
    progress = Progress(len(pending), f"{experiment.name} ({executor.name}, {executor.workers} worker{'s' * (executor.workers > 1)})", quiet=quiet)
    try:
        for spec, outcome in executor.run(train_one, pending, split):
            if isinstance(outcome, BaseException):
                failures.append(f"{spec.label}: {type(outcome).__name__}: {outcome}")
            else:
                store.save_run(directory, spec, outcome)
                runs[run_key(spec)] = outcome
            progress.advance(spec.label)
    finally:
        progress.close()
    if failures:
        kept = len(runs)
        raise RunError(f"{experiment.name}: {len(failures)} run(s) failed, {kept} kept for the next build; first: {failures[0]}")
    seconds = time.monotonic() - started
    result_set, reasons = stack(experiment, split, key, runs, seconds)
    store.save(result_set, reasons)
    return RunReport(result_set, trained=len(pending), reused=reused, seconds=seconds)
