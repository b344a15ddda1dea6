"""The 2018 claims table of a real build, every outcome and number recomputed from the report's own data files.

A small replica (seed-2018 variant, the eight methods the claims name, the
presets' controls, a learning-rate sweep of j, k and l) built beside the
same methods with textbook rules, through the command line as
tests/test_report_numbers.py does. The claims' events are redefined here
from their stated rules and recomputed with the csv module and NumPy from
``data/metrics.csv``, ``data/metrics.json``, ``data/controls.csv`` and
``data/sweep.csv``, never through reportgen's analysis.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from itertools import combinations

import numpy as np
import pytest
from test_report_numbers import LINE_WIDTH_PIXELS, digits, resolution

from reportgen import cli

SEEDS = [678, 1, 2]
LETTERS = {"sgd": "a", "momentum": "b", "nesterov": "c", "adadelta": "e", "gaussian_noise": "i", "noise_training": "j", "noise_gaussian": "k", "adam_noise": "l"}
EXPERIMENT = """
[data]
n_train = 12
n_test = 6
[network]
hidden = [16, 8]
[training]
epochs = 8
seeds = [678, 1, 2]
record_timings = false
""" + "".join(f"[methods.{name}]\n" for name in LETTERS)
REPLICA = 'name = "claims"\nvariant = "seed-2018"\n' + EXPERIMENT + """
[controls]
noise_floor_streams = 2
noise_floor = ["noise_training"]
lockstep = [["noise_training", "noise_gaussian"], ["sgd", "momentum", "nesterov", "gaussian_noise"]]
[sweep]
methods = ["noise_training", "noise_gaussian", "adam_noise"]
lr = "1e-7:1e-3:5"
"""
TEXTBOOK = 'name = "claims-textbook"\nvariant = "textbook"\n' + EXPERIMENT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    (root / "claims.toml").write_text(REPLICA)
    (root / "textbook.toml").write_text(TEXTBOOK)
    # Trained in worker processes: an in-process lockstep run leaves the fused kernels switched on in this process.
    arguments = ["build", "--config", str(root / "claims.toml"), "--config", str(root / "textbook.toml"), "--out", str(root / "out"), "--workers", "2", "--quiet"]
    assert cli.main(arguments) == 0
    return root / "out"


def rows(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def value(cell: str) -> float:
    return float(cell) if cell else np.nan


@pytest.fixture(scope="module")
def metrics(built):
    """(experiment, metric) -> method -> (seeds, epochs), seeds in SEEDS order; and which runs stopped."""
    found = defaultdict(lambda: defaultdict(dict))
    for row in rows(built / "data" / "metrics.csv"):
        for metric in ("train_cost_logged", "test_accuracy"):
            found[row["experiment"], metric][row["method"]][int(row["seed"]), int(row["epoch"])] = value(row[metric])
        assert row["diverged"] == "false"  # the rules below are the blow-up ones: no run stopped
    return {key: {method: np.array([[cells[seed, epoch] for epoch in range(1, 9)] for seed in SEEDS]) for method, cells in methods.items()} for key, methods in found.items()}


@pytest.fixture(scope="module")
def table(built):
    """claim subject -> its table row in report.md, Markdown escapes removed."""
    markdown = (built / "report.md").read_text()
    start = markdown.index("### Claims tested on claims\n")
    section = markdown[start : markdown.index("\n## ", start)]
    lines = [re.sub(r"\\([\\`*_\[\]|$~>])", r"\1", line) for line in section.splitlines() if line.startswith("| **")]
    return {line.split("**")[1]: line for line in lines}


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\) \| ", line.strip("| "))]


def median(costs, method):
    return np.median(costs[method], axis=0)


def blow_up(curve) -> int:
    """The red star's rule: the first epoch from which the cost stays over 5% above its start, if it climbs past 1.5 times the lowest cost before."""
    over = curve > 1.05 * curve[0]
    if not over[-1]:
        return 0
    start = max(len(curve) - int(np.argmin(over[::-1])) if not over.all() else 0, 1)
    return start + 1 if curve[start:].max() > 1.5 * curve[:start].min() else 0


def brown_star(curve, window: int) -> int:
    """The brown star's rule: flat (within 5% of the start) for a window or more, then a fall of over 20% within a window."""
    flat = np.abs(curve - curve[0]) <= 0.05 * curve[0]
    flat_length = len(curve) if flat.all() else int(np.argmin(flat))
    if flat_length < window:
        return 0
    return next((e + 1 for e in range(min(flat_length, len(curve) - window)) if curve[e + window] < 0.8 * curve[e]), 0)


def test_the_data_the_claims_ran_on(built, table):
    data = json.loads((built / "data" / "metrics.json").read_text())["experiments"][0]["data"]
    assert data["source"] == "embedded"
    markdown = (built / "report.md").read_text()
    assert (
        f"claims ran the 2018 procedure (zeros then ones shuffled with RandomState({data['selection_seed']}), the first {data['n_test']} held out, "
        f"the next {data['n_train']} trained on) on the embedded sample of other images: {data['description']}. These are not the 2018 images"
    ) in markdown.replace("\\_", "_")
    for line in table.values():
        outcome, data_cell = cells(line)[2:4]
        assert data_cell == ("none" if outcome == "not tested here" else "the 2018 procedure on the embedded sample of other images, seeds 678, 1, 2")


def test_red_star(metrics, table):
    curve = median(metrics["claims", "train_cost_logged"], "adadelta")
    epoch = blow_up(curve)
    line = table["Red star: Adadelta's cost goes crazy"]
    textbook = np.median(metrics["claims-textbook", "train_cost_logged"]["adadelta"][:, -1])
    if epoch:
        before, after = curve[epoch - 2], curve[epoch - 1]
        assert cells(line)[2] == "reproduced"
        assert f"e (Adadelta) blows up at epoch {epoch}: cost {digits(before)} -> {digits(after)} and never returns below {digits(curve[epoch - 1:].min())}." in line
    else:
        assert cells(line)[2] == "not reproduced" and f"is highest at epoch {np.argmax(curve) + 1} ({digits(curve.max())})" in line
    assert blow_up(median(metrics["claims-textbook", "train_cost_logged"], "adadelta")) == 0
    assert f"e does not blow up and ends at {digits(textbook)}." in line


def test_brown_star(metrics, table):
    curve = median(metrics["claims", "train_cost_logged"], "adam_noise")
    window = max(2, round(0.05 * len(curve)))
    epoch = brown_star(curve, window)
    line = table["Brown star: Adam Noise starts to converge"]
    if epoch:
        assert cells(line)[2] == "reproduced"
        assert f"until epoch {epoch}, then falls to {digits(curve[min(epoch - 1 + window, len(curve) - 1)])} within {window} epochs" in line
    else:
        assert cells(line)[2] == "not reproduced"
        assert (
            f"l (Adam noise training) goes from {digits(curve[0])} at epoch 1 to {digits(curve[-1])} at epoch {len(curve)}; "
            f"its lowest cost, {digits(curve.min())}, is at epoch {np.argmin(curve) + 1}. At no epoch does it fall by more than 20% within {window} epochs"
        ) in line
    textbook = brown_star(median(metrics["claims-textbook", "train_cost_logged"], "adam_noise"), window)
    assert ("The textbook run shows one" in line) == bool(textbook)


def test_curves_that_hide_each_other(metrics, table):
    costs = metrics["claims", "train_cost_logged"]
    pixel = resolution(costs)

    def gap(first, second):
        return np.max(np.abs(median(costs, first) - median(costs, second)))

    line = table["j is hidden by k"]
    hidden = gap("noise_training", "noise_gaussian") / pixel <= LINE_WIDTH_PIXELS
    assert cells(line)[2] == ("reproduced" if hidden else "not reproduced")
    jk = gap("noise_training", "noise_gaussian")
    assert f"at most {digits(jk)} apart, {digits(jk / pixel)} pixels against a line 4.167 pixels wide (one pixel is {digits(pixel)} cost units)" in line
    pairs = list(combinations(["sgd", "momentum", "nesterov", "gaussian_noise"], 2))
    widest = max(pairs, key=lambda pair: gap(*pair))
    line = table["a, b, c and i nearly coincide"]
    apart = [pair for pair in pairs if gap(*pair) / pixel > LINE_WIDTH_PIXELS]
    assert cells(line)[2] == ("not reproduced" if apart else "reproduced")
    assert f"{LETTERS[widest[0]]} and {LETTERS[widest[1]]}, is at most {digits(gap(*widest))} apart, {digits(gap(*widest) / pixel)} pixels" in line


def test_why_j_and_k_overlap(built, metrics, table):
    costs = metrics["claims", "train_cost_logged"]
    controlled = defaultdict(list)
    for row in rows(built / "data" / "controls.csv"):
        if row["experiment"] == "claims" and row["control"] == "lockstep:noise_training:noise_gaussian:cost_logged":
            controlled[int(row["seed"])].append(value(row["value"]))
    own = np.median([np.max(np.abs(np.array(controlled[seed]) - costs["noise_training"][SEEDS.index(seed)])) for seed in SEEDS])
    pixels = own / resolution(costs)
    line = table["j and k overlap because k's Gaussian is tiny"]
    assert cells(line)[2] == ("reproduced" if pixels <= LINE_WIDTH_PIXELS else "not reproduced")
    assert f"k lies at most {digits(own)} from j (median over seeds): {digits(pixels)} pixels" in line


def test_gaussian_noise_and_accuracy(metrics, table):
    accuracy, costs = metrics["claims", "test_accuracy"], metrics["claims", "train_cost_logged"]
    a, i = (np.median(accuracy[name][:, -1]) for name in ("sgd", "gaussian_noise"))
    line = table["Gaussian noise improves accuracy"]
    assert cells(line)[2] == ("reproduced" if i > a else "not reproduced")
    finals = [digits(np.median(costs[name][:, -1])) for name in ("gaussian_noise", "sgd")]
    assert f"on 6 held-out images (median over seeds): i {100 * i:.1f}%, a (the same step without the noise) {100 * a:.1f}%; final cost {finals[0]} and {finals[1]}." in line


def test_the_noise_learning_rate_from_the_sweep(built, table):
    by_method = defaultdict(lambda: defaultdict(list))
    for row in rows(built / "data" / "sweep.csv"):
        by_method[row["method"]][float(row["value"])].append(row)
    line, inside, larger_worse = table["The noise methods need learning rate 1e-05"], 0, 0
    for method in ("noise_training", "noise_gaussian", "adam_noise"):
        grid = sorted(by_method[method])
        costs = {lr: np.median([np.inf if run["status"] == "diverged" else value(run["final_cost"]) for run in runs]) for lr, runs in by_method[method].items()}
        best = min(grid, key=lambda lr: (costs[lr], grid.index(lr)))
        limit = costs[best] + max(0.1 * costs[best], 0.01 * np.median([value(run["start_cost"]) for run in by_method[method][best]]))
        low = high = grid.index(best)
        while low > 0 and costs[grid[low - 1]] <= limit:
            low -= 1
        while high < len(grid) - 1 and costs[grid[high + 1]] <= limit:
            high += 1
        inside += grid[low] <= 1e-5 <= grid[high]
        larger_worse += high < len(grid) - 1
        statuses = ", ".join(sorted({run["status"] for run in by_method[method][1e-5]})).replace(", ", " and ")
        edge = " (an edge of the grid)" if best in (grid[0], grid[-1]) else ""
        assert (
            f"{LETTERS[method]} over {digits(grid[0])} to {digits(grid[-1])}: best {digits(best)}{edge} at {digits(costs[best])}, "
            f"1e-05 at {digits(costs[1e-5])} ({statuses})"
        ) in line
    assert cells(line)[2] == ("reproduced" if inside == larger_worse == 3 else "not reproduced")
    assert f"1e-05 lies in the robust range (within 10% of the best) for {inside} of 3; the grid's largest rate lies outside it for {larger_worse} of 3." in line
    assert "[data/sweep.csv](data/sweep.csv)" in (built / "report.md").read_text()
