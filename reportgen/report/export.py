"""The raw metrics behind the report, for anyone who wants to redo the analysis.

Tidy form: one row per experiment, method, seed and epoch, one column per
metric (layer metrics spread over ``<metric>_layer1`` ... columns). The CSV
leaves a cell empty where the array holds NaN (epochs after a run diverged);
the JSON writes ``null`` there, since NaN is not JSON. A scheduled method's ``schedule``
column holds its schedule as compact JSON (``reportgen.optimizers.schedules``; onecycle's ``max_lr`` null: the
method's lr), empty for a constant lr. Floats are written with
``repr`` (shortest round-trip form), so the files are exact and byte-stable.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from reportgen.analysis.quirks import QuirkEffect
from reportgen.sweep.analysis import SweepAnalysis
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, ResultSet
from reportgen.verification import Verification

FORMAT = "reportgen-metrics"
FORMAT_VERSION = 2  # 2: the schedule column and each method's schedule
KEY_COLUMNS = ("experiment", "variant", "method", "letter", "schedule", "seed", "epoch", "diverged")


def _layers(result_sets: list[ResultSet]) -> int:
    return max((result_set.arrays[LAYER_METRICS[0]].shape[-1] for result_set in result_sets), default=0)


def columns(result_sets: list[ResultSet]) -> list[str]:
    layer_columns = [f"{metric}_layer{layer + 1}" for metric in LAYER_METRICS for layer in range(_layers(result_sets))]
    return [*KEY_COLUMNS, *EPOCH_METRICS, *layer_columns]


def _value(value):
    value = float(value)
    return value if math.isfinite(value) else None


def records(result_sets: list[ResultSet]) -> list[dict]:
    """One dict per (experiment, method, seed, epoch) with every metric; NaN becomes None.

    ``diverged`` is true from the epoch a run was stopped as diverged on.
    """
    layers = _layers(result_sets)
    rows = []
    for result_set in result_sets:
        for method_index, spec in enumerate(result_set.methods):
            schedule = json.dumps(spec.schedule, sort_keys=False, separators=(",", ":")) if spec.schedule else None
            for seed_index, seed in enumerate(result_set.seeds):
                stopped = int(result_set.diverged_epoch[method_index, seed_index])
                for epoch_index in range(result_set.epochs):
                    epoch = epoch_index + 1
                    row = {
                        "experiment": result_set.experiment,
                        "variant": spec.variant,
                        "method": spec.name,
                        "letter": spec.letter,
                        "schedule": schedule,
                        "seed": int(seed),
                        "epoch": epoch,
                        "diverged": bool(stopped and epoch >= stopped),
                    }
                    for metric in EPOCH_METRICS:
                        row[metric] = _value(result_set.arrays[metric][method_index, seed_index, epoch_index])
                    for metric in LAYER_METRICS:
                        values = result_set.arrays[metric][method_index, seed_index, epoch_index]
                        for layer in range(layers):
                            row[f"{metric}_layer{layer + 1}"] = _value(values[layer]) if layer < len(values) else None
                    rows.append(row)
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def to_csv(result_sets: list[ResultSet]) -> str:
    buffer = io.StringIO()
    header = columns(result_sets)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in records(result_sets):
        writer.writerow([_cell(row[column]) for column in header])
    return buffer.getvalue()


CONTROL_COLUMNS = ("experiment", "control", "seed", "stream", "epoch", "value")


def controls_csv(result_sets: list[ResultSet]) -> str:
    """The control runs (ResultSet.controls), one row per value: ``control`` is the array's name
    ("floor:<method>", "lockstep:<first>:<method>:<metric>"), ``stream`` the noise stream (1..k)
    of a floor run and empty for lockstep arrays, an empty value NaN."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONTROL_COLUMNS)
    for result_set in result_sets:
        for name, values in result_set.controls.items():
            for seed_index, seed in enumerate(result_set.seeds):
                streams = values[seed_index] if values.ndim == 3 else [values[seed_index]]
                for stream_index, curve in enumerate(streams):
                    stream = str(stream_index + 1) if values.ndim == 3 else ""
                    for epoch_index, value in enumerate(curve):
                        writer.writerow([result_set.experiment, name, seed, stream, epoch_index + 1, _cell(_value(value))])
    return buffer.getvalue()


ABLATION_COLUMNS = ("experiment", "direction", "method", "quirk", "seed", "baseline_final_cost", "arm_final_cost")


def ablations_csv(effects: list[QuirkEffect]) -> str:
    """The quirk ablations' final costs, one row per arm and seed (empty cost: the run stopped as diverged);
    a header only when the build has no stored ablation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ABLATION_COLUMNS)
    for effect in effects:
        for seed, baseline, arm in zip(effect.seed_list, effect.baseline_costs, effect.arm_costs):
            writer.writerow([effect.experiment, effect.direction, effect.method, effect.quirk, seed, _cell(_value(baseline)), _cell(_value(arm))])
    return buffer.getvalue()


SWEEP_COLUMNS = ("experiment", "method", "letter", "parameter", "value", "preset", "seed", "start_cost", "final_cost", "diverged_epoch", "status")


def sweep_csv(sweeps: list[SweepAnalysis]) -> str:
    """Every cell of every sweep, one row per seed: ``preset`` marks the experiment's own value
    (listed once, also when it lies off the grid), an empty final cost NaN (the run stopped)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SWEEP_COLUMNS)
    for sweep in sweeps:
        for series in sweep.series:
            off_grid = [] if series.default.value in series.values else [series.default]
            for cell in sorted([*series.cells, *off_grid], key=lambda cell: cell.value):
                for seed, start, final, diverged, status in zip(sweep.seeds, cell.start_cost, cell.final_cost, cell.diverged_epoch, cell.status):
                    preset = _cell(cell.value == series.default.value)
                    writer.writerow([sweep.experiment, series.method, series.letter, series.parameter, _cell(cell.value), preset, seed, _cell(_value(start)), _cell(_value(final)), diverged, status])
    return buffer.getvalue()


VERIFICATION_COLUMNS = ("check", "case", "subject", "detail", "value", "tolerance", "passed")


def verification_csv(verification: Verification) -> str:
    """The Verification section's rows: ``value`` the largest deviation found (``inf`` where runs disagree on
    divergence or NaN, ``nan`` where nothing was measured), ``passed`` whether it is at most ``tolerance``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(VERIFICATION_COLUMNS)
    for check in verification.checks:
        writer.writerow([check.group, check.case, check.subject, check.detail, _cell(check.value), _cell(check.tolerance), _cell(check.passed)])
    return buffer.getvalue()


def _plain(value):
    """JSON-able copy of configuration data that may hold NumPy scalars, arrays or tuples."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float):
        return _value(value)
    return value


def to_json(result_sets: list[ResultSet]) -> str:
    """The tidy records plus what identifies each experiment (config, data, versions)."""
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "columns": columns(result_sets),
        "experiments": [
            {
                "experiment": result_set.experiment,
                "description": result_set.description,
                "key": result_set.key,
                "config": _plain(result_set.config),
                "data": _plain(result_set.data),
                "versions": _plain(result_set.versions),
                "seeds": _plain(result_set.seeds),
                "epochs": result_set.epochs,
                "methods": [
                    {"name": spec.name, "letter": spec.letter, "variant": spec.variant, "hyperparams": _plain(spec.hyperparams), "schedule": _plain(spec.schedule)}
                    for spec in result_set.methods
                ],
            }
            for result_set in result_sets
        ],
        "records": records(result_sets),
    }
    return json.dumps(document, separators=(",", ":"), allow_nan=False, ensure_ascii=False) + "\n"
