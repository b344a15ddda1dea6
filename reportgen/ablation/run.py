"""Quirk ablations, training: every arm and baseline an ordinary run in the store, trained by the one training loop.

Runs are stored by the hash of their method's settings and their activation::

    <experiment>-ablation-<key16>/cells/<activation>/<method>-<hash12>/runs/<method>--<variant>--<seed>.npz

so an interrupted ablation resumes, and a baseline is trained once for all its arms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from reportgen.ablation.plan import Arm, Plan
from reportgen.errors import RunError
from reportgen.sweep.plan import cell_name
from reportgen.sweep.run import sweep_key
from reportgen.training.results import RunMetrics
from reportgen.training.runner import Job, Trained, load_split, train_missing
from reportgen.training.store import ResultStore
from reportgen.training.tasks import RunSpec


@dataclass(frozen=True)
class ArmRuns:
    """An arm's runs and its baseline's, seed by seed (the plan's seeds, in order)."""

    arm: Arm
    baseline: list[RunMetrics]
    runs: list[RunMetrics]


@dataclass(frozen=True)
class Ablation:
    plan: Plan
    arms: list[ArmRuns]
    trained: int
    reused: int
    seconds: float


def _job(root: Path, spec: RunSpec, split) -> Job:
    return Job(spec, root / "cells" / spec.activation / cell_name(spec.method), split)


def run_ablation(planned: Plan, store: ResultStore, executor, *, force: bool = False, quiet: bool = False, only_stored: bool = False) -> Ablation:
    """Train the runs the store lacks (none with ``only_stored``: then a missing run is a RunError) and pair them up."""
    started = time.monotonic()
    split = load_split(planned.experiment.config)
    root = store.directory(f"{planned.experiment.name}-ablation", sweep_key(planned.experiment, split.fingerprint))
    baseline_specs = planned.baseline_specs()
    arm_specs = [planned.arm_specs(arm) for arm in planned.arms]
    jobs = {}
    for spec in [*baseline_specs, *(spec for specs in arm_specs for spec in specs)]:
        job = _job(root, spec, split)
        jobs.setdefault((job.directory, spec.file_name), job)  # an arm equal to its baseline (none today) is trained once
    unique = list(jobs.values())
    label = f"{planned.experiment.name} quirk ablation"
    if only_stored:  # each run read once; nothing to train
        stored_runs = [store.load_run(job.directory, job.spec) for job in unique]
        missing = sum(run is None for run in stored_runs)
        if missing:
            raise RunError(f"{label}: {missing} of {len(unique)} runs are not stored in {store.root}; run `reportgen ablate` first")
        trained = Trained(stored_runs, [False] * len(unique))
    else:
        trained = train_missing(unique, store, executor, label=label, force=force, quiet=quiet)
    found = {(job.directory, job.spec.file_name): run for job, run in zip(unique, trained.runs)}

    def runs_of(specs: list[RunSpec]) -> list[RunMetrics]:
        return [found[(_job(root, spec, split).directory, spec.file_name)] for spec in specs]

    baselines = {}
    for spec in baseline_specs:
        baselines.setdefault(spec.method.name, []).append(spec)
    arms = []
    for arm, specs in zip(planned.arms, arm_specs):
        arms.append(ArmRuns(arm, runs_of(baselines[arm.baseline.name]), runs_of(specs)))
    return Ablation(planned, arms, trained=trained.trained, reused=trained.reused, seconds=time.monotonic() - started)
