"""Learning-rate sweeps, training: every cell an ordinary run in the store, trained by the one training loop.

Cells are stored under a folder named by the hash of their hyperparameters::

    <experiment>-sweep-<key16>/cells/<method>-<hash12>/runs/<method>--<variant>--<seed>.npz

so a cell is trained once whatever sweep asks for it, and an interrupted sweep resumes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportgen.errors import RunError
from reportgen.sweep.analysis import SweepAnalysis, analyse_sweep
from reportgen.sweep.plan import Plan, cell_name
from reportgen.training.fingerprint import results_key
from reportgen.training.runner import Job, load_split, train_missing
from reportgen.training.store import ResultStore

if TYPE_CHECKING:
    from reportgen.config import Experiment


def sweep_key(experiment: Experiment, data_fingerprint: str) -> str:
    """What every cell of a sweep or an ablation shares: the problem, data, network and training (not the methods, not the seeds)."""
    numeric = experiment.numeric_config()
    shared = {section: numeric[section] for section in ("problem", "data", "network") if section in numeric}
    shared["training"] = {k: v for k, v in numeric["training"].items() if k != "seeds"}
    return results_key(shared, data_fingerprint)


@dataclass
class SweepRun:
    """What ``run_sweep`` did, for the command line to print."""

    analysis: SweepAnalysis
    trained: int
    reused: int
    seconds: float
    runs: dict = field(default_factory=dict)  # (cell name, seed) -> RunMetrics: what tuning chooses from


def sweep_jobs(planned: Plan, store: ResultStore) -> list[Job]:
    """Every cell run of the sweep, in the store's folder for the sweep's shared settings."""
    split = load_split(planned.experiment.config)
    root = store.directory(f"{planned.experiment.name}-sweep", sweep_key(planned.experiment, split.fingerprint))
    return [Job(spec, root / "cells" / cell_name(spec.method), split) for spec in planned.specs()]


def run_sweep(planned: Plan, store: ResultStore, executor, *, force: bool = False, quiet: bool = False, only_stored: bool = False) -> SweepRun:
    """Train the cells the store lacks (none with ``only_stored``: then a missing cell is a RunError) and analyse the sweep."""
    jobs = sweep_jobs(planned, store)
    if only_stored:
        missing = sum(store.load_run(job.directory, job.spec) is None for job in jobs)
        if missing:
            raise RunError(f"{planned.experiment.name} sweep: {missing} of {len(jobs)} cell runs are not stored in {store.root}; run `reportgen sweep` first")
    return run_sweeps([planned], store, executor, force=force, quiet=quiet, label=f"{planned.experiment.name} sweep")[0]


def run_sweeps(plans: list[Plan], store: ResultStore, executor, *, force: bool = False, quiet: bool = False, label: str) -> list[SweepRun]:
    """Several sweeps' missing cells trained in one pool (no core waits for one sweep's last runs), each then analysed."""
    started = time.monotonic()
    jobs = [sweep_jobs(planned, store) for planned in plans]
    trained = train_missing([job for group in jobs for job in group], store, executor, label=label, force=force, quiet=quiet)
    outcomes, offset = [], 0
    for planned, group in zip(plans, jobs):
        runs, fresh = trained.runs[offset : offset + len(group)], trained.fresh[offset : offset + len(group)]
        offset += len(group)
        cells = {(cell_name(job.spec.method), job.spec.seed): run for job, run in zip(group, runs)}
        outcomes.append(SweepRun(analyse_sweep(planned, cells), sum(fresh), len(fresh) - sum(fresh), time.monotonic() - started, cells))
    return outcomes
