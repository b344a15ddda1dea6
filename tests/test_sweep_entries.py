"""Sweeps of every kind of method entry: built-ins beyond l, an alias, a plugin and scheduled methods; onecycle's
peak follows a swept lr while max_lr is unset, and is itself swept when max_lr is set (the lr would move nothing)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from fixtures import unnamed_drawings

from reportgen import config
from reportgen.report import sweep_figures
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep import run as sweep_run
from reportgen.training import executors
from reportgen.training.runner import load_split
from reportgen.training.store import ResultStore
from reportgen.training.trainer import train_one

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cautious_adam.py"
UPDATES = 3 * 4  # epochs x steps per epoch (8 images in batches of 2)


def experiment(directory: Path, peak: float | None = 0.05):
    """A tiny experiment with a later built-in, an alias with a cosine schedule, a plugin, and momentum with onecycle."""
    (directory / "cautious_adam.py").write_bytes(EXAMPLE.read_bytes())
    onecycle = {"kind": "onecycle", "total_steps": UPDATES, **({"max_lr": peak} if peak is not None else {})}
    raw = {
        "name": "entries",
        "variant": "textbook",
        "data": {"n_train": 8, "n_test": 4},
        "network": {"hidden": [6, 3]},
        "training": {"epochs": 3, "batch_size": 2, "seeds": [678], "record_timings": False},
        "methods": {
            "lion": {"lr": 1e-3},
            "adamw_cosine": {"method": "adamw", "lr": 0.01, "schedule": {"kind": "cosine", "T_max": UPDATES}},
            "cautious": {"plugin": "cautious_adam.py:cautious_adam", "lr": 0.01},
            "cycled": {"method": "momentum", "lr": 0.02, "schedule": onecycle},
        },
    }
    return config.validate(raw, str(directory / "entries.toml"), base_dir=directory)


def test_every_entry_is_swept_in_the_experiments_order(tmp_path):
    planned = sweep_plan.plan(experiment(tmp_path), {"lr": [0.001, 0.01]})
    assert [(axis.method.name, axis.method.letter, axis.parameter) for axis in planned.axes] == [
        ("lion", "s", "lr"), ("adamw_cosine", "w", "lr"), ("cautious", "x", "lr"), ("cycled", "y", "max_lr"),
    ]
    cosine = next(spec.method for spec in planned.specs() if spec.method.name == "adamw_cosine" and spec.method.hyperparams["lr"] == 0.001)
    assert (cosine.runs, cosine.schedule["kind"]) == ("adamw", "cosine")  # a cell keeps what the entry runs and its schedule


def test_onecycle_sweeps_its_peak_when_it_sets_one_and_else_follows_the_lr(tmp_path):
    fixed = sweep_plan.plan(experiment(tmp_path, peak=0.05), {"lr": [0.01, 0.1], "methods": ["cycled"]})
    cells = [spec.method for spec in fixed.specs()]
    assert [(cell.hyperparams["lr"], cell.schedule["max_lr"]) for cell in cells] == [(0.02, 0.01), (0.02, 0.1), (0.02, 0.05)]
    assert [fixed.axes[0].value_of(cell) for cell in cells] == [0.01, 0.1, 0.05]
    following = sweep_plan.plan(experiment(tmp_path, peak=None), {"lr": [0.01, 0.1], "methods": ["cycled"]})
    cells = [spec.method for spec in following.specs()]
    assert following.axes[0].parameter == "lr"
    assert [(cell.hyperparams["lr"], cell.schedule["max_lr"]) for cell in cells] == [(0.01, None), (0.1, None), (0.02, None)]


def test_with_max_lr_set_the_lr_changes_no_number(tmp_path):
    """Why a set max_lr is what a sweep varies: OneCycleLR starts at max_lr / div_factor whatever the method's lr."""
    planned = sweep_plan.plan(experiment(tmp_path, peak=0.05), {"lr": [0.01], "methods": ["cycled"]})
    template = planned.specs()[-1]  # the default cell
    split = load_split(planned.experiment.config)
    costs = []
    for lr in (0.02, 0.5):
        method = replace(template.method, hyperparams={**template.method.hyperparams, "lr": lr})
        run = train_one(replace(template, method=method), split)
        costs.append(run.arrays["train_cost_logged"].tobytes())
    assert costs[0] == costs[1]


def test_cells_are_named_by_all_that_decides_their_numbers(tmp_path):
    planned = sweep_plan.plan(experiment(tmp_path), {"lr": [0.01]})
    names = {sweep_plan.cell_name(spec.method) for spec in planned.specs()}
    assert len(names) == len(planned.specs())
    lion = planned.axes[0].method
    before = json.dumps({"variant": lion.variant, **lion.hyperparams}, sort_keys=True, separators=(",", ":"))  # how cells were named before
    assert sweep_plan.cell_name(lion) == f"lion-{hashlib.sha256(before.encode()).hexdigest()[:12]}"  # stored cells keep their folders
    cosine = planned.axes[1].method
    other = replace(cosine, schedule={**cosine.schedule, "T_max": 6})
    assert sweep_plan.cell_name(other) != sweep_plan.cell_name(cosine)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    directory = tmp_path_factory.mktemp("entries")
    planned = sweep_plan.plan(experiment(directory), {"lr": [0.003, 0.03]})
    return sweep_run.run_sweep(planned, ResultStore(directory / "store"), executors.InProcessExecutor(), quiet=True).analysis


def test_a_sweep_of_every_entry_trains_analyses_and_draws(swept):
    assert [(series.letter, series.title, series.parameter) for series in swept.series] == [
        ("s", "Lion", "lr"), ("w", "AdamW, cosine decay", "lr"), ("x", "Cautious Adam", "lr"), ("y", "Momentum, one-cycle", "max_lr"),
    ]
    peak = swept.series[-1]
    assert peak.default.value == 0.05 and peak.values == [0.003, 0.03]
    assert len({tuple(cell.final_cost) for cell in [*peak.cells, peak.default]}) == 3  # the peak moves the numbers
    drawn = sweep_figures.draw_all([swept])
    for figure in drawn:
        count, missing = unnamed_drawings(figure.svg)
        assert count and missing == [], figure.slug
    labels = " ".join(figure.svg for figure in drawn)
    for series in swept.series:
        assert f"{series.letter}. {series.title}, {sweep_figures.PARAMETER_NAMES[series.parameter]}" in labels
