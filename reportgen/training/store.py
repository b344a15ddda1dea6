"""The results store: finished runs and result sets on disk, keyed by what made them.

Layout under the store root (``<out>/results`` by default)::

    <experiment>-<key16>/
        runs/<method>--<variant>--<seed>.npz   one finished run each, written as it completes
        runs/<...>--stream<k>.npz, runs/lockstep--<...>.npz   control runs (reportgen.training.controls)
        metrics.npz                            the stacked arrays of the whole set, controls included
        meta.json                              written last: its presence marks the set complete
        <name>.json                            what was measured beside the set (save_json), e.g. step_cost.json

The key (``reportgen.training.fingerprint``) hashes what determines the
numbers, so a template change re-renders from the store while a change to an
update rule retrains. Every file is written to
a temporary name and renamed, so an interrupted build never leaves a
half-written file, and a set without ``meta.json`` is never read as complete;
its ``runs/`` let the next build resume.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from reportgen import atomic
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, MethodSpec, ResultSet, RunMetrics
from reportgen.training.tasks import RunSpec

FORMAT_VERSION = 2  # of the files below; the cache key has its own (fingerprint.KEY_FORMAT)
CONTROL_PREFIXES = ("floor:", "lockstep:")  # names of ResultSet.controls arrays in metrics.npz


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


class ResultStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def directory(self, experiment: str, key: str) -> Path:
        return self.root / f"{experiment}-{key[:16]}"

    # -- single runs: saved as they finish, so an interrupted build resumes --

    def save_run(self, directory: Path, spec: RunSpec, metrics: RunMetrics) -> None:
        arrays = dict(metrics.arrays)
        arrays["diverged_epoch"] = np.array(metrics.diverged_epoch)
        arrays["divergence_reason"] = np.array(metrics.divergence_reason)
        atomic.write_bytes(directory / "runs" / spec.file_name, _npz_bytes(arrays))

    def load_run(self, directory: Path, spec: RunSpec) -> RunMetrics | None:
        path = directory / "runs" / spec.file_name
        if not path.exists():
            return None
        try:
            arrays = _read_npz(path)
            diverged_epoch = int(arrays.pop("diverged_epoch"))
            reason = str(arrays.pop("divergence_reason"))
        except (OSError, ValueError, KeyError):
            return None  # unreadable: train it again
        if set(arrays) != set(spec.metrics) or any(a.shape[0] != spec.epochs for a in arrays.values()):
            return None
        return RunMetrics(arrays=arrays, diverged_epoch=diverged_epoch, divergence_reason=reason)

    # -- JSON measured beside a set's runs (reportgen.training.step_cost), read back as written --

    def save_json(self, directory: Path, name: str, payload: dict) -> Path:
        path = directory / f"{name}.json"
        atomic.write_text(path, json.dumps(payload, indent=2) + "\n")
        return path

    def load_json(self, directory: Path, name: str) -> dict | None:
        """The payload ``save_json`` wrote, or None if there is none (or it is damaged)."""
        try:
            return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- whole result sets --

    def save(self, result_set: ResultSet, divergence_reasons: list[list[str]]) -> Path:
        directory = self.directory(result_set.experiment, result_set.key)
        arrays = dict(result_set.arrays)
        arrays.update(diverged_epoch=result_set.diverged_epoch, samples=result_set.samples, sample_labels=result_set.sample_labels)
        arrays.update(result_set.controls)
        atomic.write_bytes(directory / "metrics.npz", _npz_bytes(arrays))
        meta = {
            "format_version": FORMAT_VERSION,
            "experiment": result_set.experiment,
            "description": result_set.description,
            "key": result_set.key,
            "config": result_set.config,
            "data": result_set.data,
            "methods": [asdict(method) for method in result_set.methods],
            "seeds": result_set.seeds,
            "epochs": result_set.epochs,
            "divergence_reasons": divergence_reasons,
            "versions": result_set.versions,
            "timings": result_set.timings,  # train_seconds; since it was recorded, machine (runner.machine)
            "metrics": list(result_set.arrays),  # the 2018 network's, or a problem's own
        }
        # Key order is kept as built, not sorted: a set read back lists its config and
        # data in the same order as a fresh one, so both render byte-identical reports.
        atomic.write_text(directory / "meta.json", json.dumps(meta, indent=2) + "\n")
        return directory

    def load(self, experiment: str, key: str) -> ResultSet | None:
        """The complete result set for this key, or None if there is none (or it is damaged)."""
        directory = self.directory(experiment, key)
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            arrays = _read_npz(directory / "metrics.npz")
        except (OSError, ValueError):
            return None
        if meta.get("format_version") != FORMAT_VERSION or meta.get("key") != key:
            return None
        return ResultSet(
            experiment=meta["experiment"],
            description=meta["description"],
            config=meta["config"],
            key=meta["key"],
            data=meta["data"],
            methods=[MethodSpec(**method) for method in meta["methods"]],
            seeds=meta["seeds"],
            epochs=meta["epochs"],
            arrays={name: arrays[name] for name in meta.get("metrics", (*EPOCH_METRICS, *LAYER_METRICS))},
            diverged_epoch=arrays["diverged_epoch"],
            samples=arrays["samples"],
            sample_labels=arrays["sample_labels"],
            versions=meta["versions"],
            timings=meta["timings"],
            controls={name: array for name, array in arrays.items() if name.startswith(CONTROL_PREFIXES)},
        )
