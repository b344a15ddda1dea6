"""The batch runner: train what the store lacks, store each run as it finishes, stack an experiment's runs.

``train_missing`` is the one training loop: the experiment runner below and
the sweep (``reportgen.sweep.run``) both use it. Runs are read back from the
store once trained, so a fresh build and a rebuild from the store use the
very same bytes.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

import reportgen
from reportgen import data, optimizers
from reportgen.errors import RunError
from reportgen.progress import Progress
from reportgen.training.fingerprint import results_key
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, ResultSet, RunMetrics
from reportgen.training.store import ResultStore
from reportgen.training.tasks import RunSpec
from reportgen.training.trainer import train_one

if TYPE_CHECKING:  # the config is built above this stage and only read here
    from reportgen.config import Experiment

SAMPLE_DIGITS = 8


@dataclass
class RunReport:
    """What ``run_experiment`` did, for the command line to print."""

    result_set: ResultSet
    trained: int
    reused: int
    seconds: float


@dataclass
class Trained:
    """The runs of ``train_missing``, aligned with its specs, and how many were trained or reused."""

    runs: list[RunMetrics]
    trained: int
    reused: int


def load_split(data_config: dict) -> data.Split:
    """The training and test images a validated ``[data]`` table selects."""
    return data.load(
        source=data_config["source"],
        path=data_config["path"] or None,
        split=data_config["split"],
        n_train=data_config["n_train"],
        n_test=data_config["n_test"],
        selection_seed=data_config["selection_seed"],
    )


def expected_work(spec: RunSpec) -> int:
    """Relative cost of a run, to start the longest first: noise of the weights' size costs about a gradient step."""
    method = spec.method
    weight_sized_noise = optimizers.describe(method.name, method.variant).gradient == "none" or "eta" in method.hyperparams
    return 2 if weight_sized_noise else 1


def train_missing(
    specs: list[RunSpec],
    directory_of: Callable[[RunSpec], Path],
    split: data.Split,
    store: ResultStore,
    executor,
    *,
    label: str,
    force: bool = False,
    quiet: bool = False,
) -> Trained:
    """Train every spec whose run ``store`` does not hold in ``directory_of(spec)``, storing each as it finishes.

    Longest runs start first, so a pool does not end waiting on one slow run.
    A failed run never stops the others; if any failed, a RunError names the
    first after every other run is stored, so the next build resumes.
    """
    pending = [spec for spec in specs if force or store.load_run(directory_of(spec), spec) is None]
    pending.sort(key=expected_work, reverse=True)
    failures: list[str] = []
    progress = Progress(len(pending), f"{label} ({executor.name}, {executor.workers} worker{'s' * (executor.workers > 1)})", quiet=quiet)
    try:
        for spec, outcome in executor.run(train_one, pending, split):
            if isinstance(outcome, BaseException):
                failures.append(f"{spec.label} {spec.method.hyperparams}: {type(outcome).__name__}: {outcome}")
            else:
                store.save_run(directory_of(spec), spec, outcome)
            progress.advance(spec.label)
    finally:
        progress.close()
    if failures:
        raise RunError(f"{label}: {len(failures)} of {len(pending)} run(s) failed; the others are stored for the next run; first: {failures[0]}")
    runs = [store.load_run(directory_of(spec), spec) for spec in specs]
    if any(run is None for run in runs):
        raise RunError(f"{label}: a stored run cannot be read back from {store.root}; check the disk and run again")
    return Trained(runs, trained=len(pending), reused=len(specs) - len(pending))


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "numpy": np.__version__, "reportgen": reportgen.__version__}


def stack(experiment: Experiment, split: data.Split, key: str, runs: list[RunMetrics], seconds: float) -> tuple[ResultSet, list[list[str]]]:
    """The runs of ``experiment.run_specs()`` (methods outer, seeds inner) as arrays [method, seed, epoch]."""
    seeds = len(experiment.seeds)
    by_method = [runs[index * seeds : (index + 1) * seeds] for index in range(len(experiment.methods))]
    arrays = {name: np.stack([np.stack([run.arrays[name] for run in method]) for method in by_method]) for name in (*EPOCH_METRICS, *LAYER_METRICS)}
    diverged = np.array([[run.diverged_epoch for run in method] for method in by_method], dtype=np.int64)
    reasons = [[run.divergence_reason for run in method] for method in by_method]
    result_set = ResultSet(
        experiment=experiment.name,
        description=experiment.description,
        config=experiment.config,
        key=key,
        data={**split.description, "fingerprint": split.fingerprint, "pool_size": split.pool_size},
        methods=list(experiment.methods),
        seeds=experiment.seeds,
        epochs=experiment.config["training"]["epochs"],
        arrays=arrays,
        diverged_epoch=diverged,
        samples=split.train_images[:SAMPLE_DIGITS].reshape(-1, 28, 28).astype(np.uint8),
        sample_labels=split.y_train[:SAMPLE_DIGITS, 0].astype(np.int64),
        versions=versions(),
        timings={"train_seconds": round(seconds, 3)} if experiment.config["training"]["record_timings"] else {},
    )
    return result_set, reasons


def experiment_key(experiment: Experiment, split: data.Split) -> str:
    return results_key(experiment.numeric_config(), split.fingerprint)


def stored(experiment: Experiment, store: ResultStore) -> ResultSet | None:
    """The complete stored result set for this experiment's config, data and code, or None."""
    return store.load(experiment.name, experiment_key(experiment, load_split(experiment.config["data"])))


def run_experiment(experiment: Experiment, store: ResultStore, executor, *, force: bool = False, quiet: bool = False) -> RunReport:
    started = time.monotonic()
    split = load_split(experiment.config["data"])
    key = experiment_key(experiment, split)
    specs = experiment.run_specs()
    if not force:
        cached = store.load(experiment.name, key)
        if cached is not None:
            return RunReport(cached, trained=0, reused=len(specs), seconds=time.monotonic() - started)
    directory = store.directory(experiment.name, key)
    trained = train_missing(specs, lambda spec: directory, split, store, executor, label=experiment.name, force=force, quiet=quiet)
    seconds = time.monotonic() - started
    result_set, reasons = stack(experiment, split, key, trained.runs, seconds)
    store.save(result_set, reasons)
    # What is used is what a later build will read: the set as stored.
    return RunReport(store.load(experiment.name, key), trained=trained.trained, reused=trained.reused, seconds=seconds)
