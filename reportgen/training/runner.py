"""The batch runner: train what the store lacks, store each run as it finishes, stack an experiment's runs.

``train_missing`` is the one training loop: the experiment runner below and
the sweep (``reportgen.sweep.run``) both use it. Runs are read back from the
store once trained, so a fresh build and a rebuild from the store use the
very same bytes.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import reportgen
from reportgen import data
from reportgen.errors import RunError
from reportgen.progress import Progress
from reportgen.training.fingerprint import results_key
from reportgen.training.results import ResultSet, RunMetrics
from reportgen.training.store import ResultStore
from reportgen.training import controls, methods
from reportgen.problems import NETWORK_PROBLEM
from reportgen.training.tasks import LockstepSpec, RunSpec
from reportgen.training.trainer import train_task

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
    """The runs of ``train_missing``, aligned with its jobs, and which of them it trained (the rest were stored)."""

    runs: list[RunMetrics]
    fresh: list[bool]

    @property
    def trained(self) -> int:
        return sum(self.fresh)

    @property
    def reused(self) -> int:
        return len(self.fresh) - self.trained


@dataclass(frozen=True)
class NoData:
    """What a synthetic problem trains on: nothing, under a fingerprint the runner and the cache key can use."""

    fingerprint: str = "no data: a synthetic problem"
    description: dict = field(default_factory=lambda: {"source": "none"})


def load_split(config: dict):
    """The data a validated experiment trains on: the 2018 selection of its ``[data]`` table, a digit
    problem's held-out split, or ``NoData`` for a synthetic problem."""
    data_config, problem = config["data"], config["problem"]["name"]
    if problem != NETWORK_PROBLEM and not data_config:
        return NoData()
    where = {key: data_config[key] for key in ("source", "split", "selection_seed")} | {"path": data_config["path"] or None}
    if problem == NETWORK_PROBLEM:
        return data.load(**where, n_train=data_config["n_train"], n_test=data_config["n_test"])
    return data.load_digits(**where, **{key: data_config[key] for key in ("digits", "train_per_digit", "test_per_digit")})


@dataclass(frozen=True, eq=False)
class Job:
    """A run to have: its spec, the store folder it belongs in, and its training data (a split, a problem's, or NoData)."""

    spec: RunSpec | LockstepSpec
    directory: Path
    split: data.Split | data.HeldOut | NoData


def expected_work(job: Job) -> float:
    """Relative cost of a run, to start the longest first: its steps, each an update (noise of the
    weights' size doubles it) plus a forward and backward pass per image of the batch; a lockstep group, all its runs."""
    specs = job.spec.runs if isinstance(job.spec, LockstepSpec) else (job.spec,)
    work = 0.0
    for spec in specs:
        method = spec.method
        weight_sized_noise = methods.info(method).gradient == "none" or "eta" in method.hyperparams
        images = len(job.split.X_train) if hasattr(job.split, "X_train") else spec.batch_size  # a synthetic problem: a step an epoch
        steps = spec.epochs * -(-images // spec.batch_size)
        work += steps * ((2.0 if weight_sized_noise else 1.0) + 0.3 * spec.batch_size)
    return work


def train_missing(jobs: list[Job], store: ResultStore, executor, *, label: str, force: bool = False, quiet: bool = False) -> Trained:
    """Train every job whose run ``store`` does not hold yet, storing each as it finishes, all on one executor.

    Runs of several experiments share the pool, longest first, so it never
    waits on one slow run while work is left. A failed run never stops the
    others; if any failed, a RunError names the first once every other run
    is stored, so the next build resumes.
    """
    missing = [force or store.load_run(job.directory, job.spec) is None for job in jobs]
    groups = [job for job, absent in zip(jobs, missing) if absent and isinstance(job.spec, LockstepSpec)]
    pending = sorted((job for job, absent in zip(jobs, missing) if absent and not _trained_in(job, groups)), key=expected_work, reverse=True)
    splits = {job.split.fingerprint: job.split for job in pending}  # sent to each worker once
    tasks = [(index, job.spec, job.split.fingerprint) for index, job in enumerate(pending)]
    failures: list[str] = []
    progress = Progress(len(pending), f"{label} ({executor.name}, {executor.workers} worker{'s' * (executor.workers > 1)})", quiet=quiet)
    try:
        for (index, spec, _), outcome in executor.run(train_task, tasks, splits):
            if isinstance(outcome, BaseException):
                failures.append(f"{spec.label} {spec.method.hyperparams}: {type(outcome).__name__}: {outcome}")
            elif isinstance(spec, LockstepSpec):
                comparison, member_runs = outcome
                directory = pending[index].directory
                for member, run in zip(spec.runs, member_runs):
                    if any(job.directory == directory and job.spec == member for job in jobs):  # a method's own run, not a control variant
                        store.save_run(directory, member, run)
                store.save_run(pending[index].directory, spec, comparison)
            else:
                store.save_run(pending[index].directory, spec, outcome)
            progress.advance(spec.label)
    finally:
        progress.close()
    if failures:
        raise RunError(f"{label}: {len(failures)} of {len(pending)} run(s) failed; the others are stored for the next run; first: {failures[0]}")
    runs = [store.load_run(job.directory, job.spec) for job in jobs]
    if any(run is None for run in runs):
        raise RunError(f"{label}: a stored run cannot be read back from {store.root}; check the disk and run again")
    return Trained(runs, missing)


def _trained_in(job: Job, groups: list[Job]) -> bool:
    """Whether a pending lockstep group of the same folder trains this run as one of its own (control variants are not)."""
    return isinstance(job.spec, RunSpec) and any(group.directory == job.directory and job.spec in group.spec.runs for group in groups)


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "numpy": np.__version__, "reportgen": reportgen.__version__}


LOCAL_EXECUTORS = ("in-process", "process pool")


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it, else what the platform module knows, else ""."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return " ".join(line.partition(":")[2].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(executor) -> dict:
    """Where the runs' epoch_seconds were measured: the CPU and its logical cores, and how many runs trained at once.

    Only a local executor trains on this machine; for a cluster the CPU is not known here ("")."""
    local = getattr(executor, "name", "") in LOCAL_EXECUTORS
    return {
        "cpu": cpu_model() if local else "",
        "cores": (os.cpu_count() or 0) if local else 0,
        "executor": getattr(executor, "name", "executor"),
        "workers": int(getattr(executor, "workers", 1)),
    }


def stack(
    experiment: Experiment, split: data.Split, key: str, runs: list[RunMetrics], seconds: float, where: dict | None = None
) -> tuple[ResultSet, list[list[str]]]:
    """The runs of ``experiment.run_specs()`` (methods outer, seeds inner) as arrays [method, seed, epoch],
    followed by those of ``experiment.control_specs()`` as its controls.

    With timings recorded, ``timings`` holds the training's wall-clock seconds and ``where`` (``machine()``:
    the machine of this build; runs resumed from an earlier build's store may have trained elsewhere)."""
    seeds, on_network = len(experiment.seeds), experiment.config["problem"]["name"] == NETWORK_PROBLEM
    runs, control_runs = runs[: len(experiment.methods) * seeds], runs[len(experiment.methods) * seeds :]
    by_method = [runs[index * seeds : (index + 1) * seeds] for index in range(len(experiment.methods))]
    names = experiment.run_specs()[0].metrics  # the 2018 network's, or the problem's
    arrays = {name: np.stack([np.stack([run.arrays[name] for run in method]) for method in by_method]) for name in names}
    diverged = np.array([[run.diverged_epoch for run in method] for method in by_method], dtype=np.int64)
    reasons = [[run.divergence_reason for run in method] for method in by_method]
    result_set = ResultSet(
        experiment=experiment.name,
        description=experiment.description,
        config=experiment.config,
        key=key,
        data={**split.description, "fingerprint": split.fingerprint, **({"pool_size": split.pool_size} if on_network else {})},
        methods=list(experiment.methods),
        seeds=experiment.seeds,
        epochs=experiment.config["training"]["epochs"],
        arrays=arrays,
        diverged_epoch=diverged,
        samples=split.train_images[:SAMPLE_DIGITS].reshape(-1, 28, 28).astype(np.uint8) if on_network else np.zeros((0, 28, 28), np.uint8),
        sample_labels=split.y_train[:SAMPLE_DIGITS, 0].astype(np.int64) if on_network else np.zeros(0, np.int64),
        versions=versions(),
        timings={"train_seconds": round(seconds, 3), **({"machine": where} if where else {})} if experiment.config["training"]["record_timings"] else {},
        controls=controls.stack(experiment.config, experiment.control_specs(), control_runs),
    )
    return result_set, reasons


def experiment_key(experiment: Experiment, split: data.Split) -> str:
    return results_key(experiment.numeric_config(), split.fingerprint)


def described_as(result_set: ResultSet | None, experiment: Experiment) -> ResultSet | None:
    """A stored set with the experiment's own words: its description and its config as given now.

    The cache key leaves out what changes no number (``[report]``, the
    description), so a stored set may have been trained under older words;
    what the report says must follow the config the user wrote.
    """
    if result_set is None:
        return None
    return replace(result_set, description=experiment.description, config=experiment.config)


def stored(experiment: Experiment, store: ResultStore) -> ResultSet | None:
    """The complete stored result set for this experiment's config, data and code, or None."""
    found = store.load(experiment.name, experiment_key(experiment, load_split(experiment.config)))
    return described_as(found, experiment)


def run_experiments(experiments: list[Experiment], store: ResultStore, executor, *, force: bool = False, quiet: bool = False) -> list[RunReport]:
    """Every experiment's result set: reused when stored, else its missing runs trained, all experiments in one pool."""
    started = time.monotonic()
    splits = [load_split(experiment.config) for experiment in experiments]
    keys = [experiment_key(experiment, split) for experiment, split in zip(experiments, splits)]
    cached = [None if force else described_as(store.load(experiment.name, key), experiment) for experiment, key in zip(experiments, keys)]
    to_train = [position for position, found in enumerate(cached) if found is None]
    jobs = [
        Job(spec, store.directory(experiments[position].name, keys[position]), splits[position])
        for position in to_train
        for spec in [*experiments[position].run_specs(), *experiments[position].control_specs()]
    ]
    label = ", ".join(experiments[position].name for position in to_train)
    trained = train_missing(jobs, store, executor, label=label, force=force, quiet=quiet) if jobs else Trained([], [])
    seconds = time.monotonic() - started
    reports, offset = [], 0
    for position, experiment in enumerate(experiments):
        count = len(experiment.run_specs()) + len(experiment.control_specs())
        if cached[position] is not None:
            reports.append(RunReport(cached[position], trained=0, reused=count, seconds=seconds))
            continue
        part = Trained(trained.runs[offset : offset + count], trained.fresh[offset : offset + count])
        offset += count
        result_set, reasons = stack(experiment, splits[position], keys[position], part.runs, seconds, machine(executor))
        store.save(result_set, reasons)
        # What is used is what a later build will read: the set as stored.
        reports.append(RunReport(store.load(experiment.name, keys[position]), trained=part.trained, reused=part.reused, seconds=seconds))
    return reports


def run_experiment(experiment: Experiment, store: ResultStore, executor, *, force: bool = False, quiet: bool = False) -> RunReport:
    return run_experiments([experiment], store, executor, force=force, quiet=quiet)[0]
