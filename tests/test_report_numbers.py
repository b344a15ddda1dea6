"""Every kind of sentence the Summary states, its numbers recomputed from the built report's own data files.

A real build (the command line, real training) of a small experiment with
the presets' controls; the numbers are read back from ``data/metrics.csv``
and ``data/controls.csv`` with the csv module and NumPy only, never through
reportgen's analysis, and compared at the report's 4 significant digits.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import numpy as np
import pytest

from reportgen.optimizers.registry import TITLES
from fixtures import build_report, digits, told_apart

CONFIG = """
name = "numbers"
variant = "seed-2018"
[data]
n_train = 12
n_test = 6
[training]
epochs = 8
seeds = [678, 1, 2]
record_timings = false
[methods.sgd]
[methods.momentum]
[methods.gaussian_noise]
[methods.noise_training]
[methods.noise_gaussian]
[controls]
noise_floor_streams = 3
noise_floor = ["noise_training"]
lockstep = [["noise_training", "noise_gaussian"], ["sgd", "momentum", "gaussian_noise"]]
"""
LINE_WIDTH_PIXELS = 3.0 * 100 / 72  # the main figure's 3-point lines at 100 dpi
PLOT_HEIGHT_PIXELS = 420


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_report(tmp_path_factory, "numbers", CONFIG)


@pytest.fixture(scope="module")
def curves(built):
    """method -> (seeds, epochs) of train_cost_logged, from metrics.csv."""
    found = defaultdict(dict)
    with open(built / "data" / "metrics.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            value = float(row["train_cost_logged"]) if row["train_cost_logged"] else np.nan
            found[row["method"]].setdefault(int(row["seed"]), {})[int(row["epoch"])] = value
    return {method: np.array([[epochs[e] for e in sorted(epochs)] for _, epochs in sorted(seeds.items(), key=lambda item: [678, 1, 2].index(item[0]))]) for method, seeds in found.items()}


@pytest.fixture(scope="module")
def controls(built):
    """control name -> {(seed, stream): [values by epoch]}, from controls.csv."""
    found = defaultdict(lambda: defaultdict(list))
    with open(built / "data" / "controls.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            found[row["control"]][int(row["seed"]), row["stream"]].append(float(row["value"]) if row["value"] else np.nan)
    return found


@pytest.fixture(scope="module")
def findings(built):
    text = (built / "report.md").read_text()
    return [line[2:] for line in text.splitlines() if line.startswith("- In numbers")]


@pytest.fixture(scope="module")
def takeaway(built):
    """The first screen's sentences: the paragraphs between the title's introduction and the main figure."""
    text = (built / "report.md").read_text()
    return [paragraph for paragraph in text[: text.index("![")].split("\n\n") if paragraph.startswith("In ")]


@pytest.fixture(scope="module")
def j_and_k(built):
    """The Overlap analysis's paragraph on j and k: the geometry, then the cause."""
    text = (built / "report.md").read_text()
    return sentence([line for line in text.splitlines()], "**j (Noise training) vs k (")


def sentence(findings, start):
    matches = [line for line in findings if line.startswith(start)]
    assert len(matches) == 1, (start, findings)
    return matches[0]


def resolution(curves) -> float:
    """Cost units per pixel of the replica's main figure: its y-range holds every seed's curve (the min-max bands) plus 5% each side."""
    every = np.concatenate([values.ravel() for values in curves.values()])
    low, high = np.nanmin(every), np.nanmax(every)
    return (high + 0.05 * (high - low) - (low - 0.05 * (high - low))) / PLOT_HEIGHT_PIXELS


def test_the_overlap_sentence_of_j_and_k(takeaway, j_and_k, curves, controls):
    text = j_and_k
    j, k = np.median(curves["noise_training"], axis=0), np.median(curves["noise_gaussian"], axis=0)
    gap = np.max(np.abs(j - k))
    pixels = gap / resolution(curves)
    seen = "can be told apart" if pixels > LINE_WIDTH_PIXELS else "hide each other"
    geometry = f"{seen} in the main figure: their plotted curves are at most {digits(gap)} apart, {digits(pixels)} pixels"
    summary = sentence(takeaway, "In numbers, j (Noise training) and k")  # the first screen gives the geometry only
    assert geometry in text and geometry in summary and "noise floor" not in summary
    own_j = curves["noise_training"]
    floor = [np.max(np.abs(np.array(values) - own_j[[678, 1, 2].index(seed)])) for (seed, _), values in sorted(controls["floor:noise_training"].items())]
    assert f"lies {digits(np.median(floor))} (median; {digits(min(floor))} to {digits(max(floor))} over {len(floor)} runs) from itself" in text
    controlled = controls["lockstep:noise_training:noise_gaussian:cost_logged"]
    own = [np.max(np.abs(np.array(controlled[seed, ""]) - own_j[[678, 1, 2].index(seed)])) for seed in (678, 1, 2)]
    assert f"k lies {digits(np.median(own))} (median; {digits(min(own))} to {digits(max(own))} over 3 seeds) from j" in text
    assert f"k's own effect is {digits(100 * np.median(own) / gap)}% of the plotted gap, which is {digits(gap / np.median(floor))} times" in text


def test_the_first_order_link_of_j_and_k(j_and_k, controls):
    text = j_and_k
    measured = np.array([controls["lockstep:noise_training:noise_gaussian:cost_gap"][seed, ""] for seed in (678, 1, 2)])
    predicted = np.array([controls["lockstep:noise_training:noise_gaussian:first_order_gap"][seed, ""] for seed in (678, 1, 2)])
    weights = np.array([controls["lockstep:noise_training:noise_gaussian:weight_gap"][seed, ""] for seed in (678, 1, 2)])
    seed, epoch = np.unravel_index(np.argmax(np.abs(measured)), measured.shape)
    error = np.max(np.abs(measured - predicted)) / abs(measured[seed, epoch])
    assert f"(at most {digits(weights.max())} in norm)" in text
    assert f"g . d = {digits(predicted[seed, epoch])} against {digits(measured[seed, epoch])} measured" in text
    assert f"differ by at most {digits(100 * error)}% of that largest gap" in text


def test_the_lowest_and_highest_final_costs(findings, curves):
    text = sentence(findings, "In numbers the lowest median final costs are")
    finals = {method: np.median(values[:, -1]) for method, values in curves.items()}
    ranked = sorted(finals, key=finals.get)
    for method in ranked[:3]:
        assert f") {told_apart(finals[method], finals.values())}" in text
    assert re.search(rf"the highest is .* {re.escape(told_apart(finals[ranked[-1]], finals.values()))}\. With 3 seeds no paired interval exists", text)
    assert "so this order is untested" in text


def test_the_target_and_the_epochs_to_reach_it(built, curves):
    """The default target, as the caption states its rule, and each method's first epoch at or below it on the plotted median."""
    markdown = (built / "report.md").read_text()
    medians = {method: np.median(values, axis=0) for method, values in curves.items()}
    first_epoch = float(np.median([curve[0] for curve in medians.values()]))
    assert f"Target cost {digits(0.1 * first_epoch)} (a tenth of the median over methods of the first epoch's plotted cost, {digits(first_epoch)};" in markdown
    table = markdown.split("Target cost", 1)[1].split("\n\n", 2)[1]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    header = [cell.strip() for cell in table.splitlines()[0].strip("|").split("|")]
    column = header.index("Epochs to target")
    for row in rows:
        method = next(name for name in medians if row[header.index("Method")] == TITLES[name])
        reached = np.flatnonzero(medians[method] <= 0.1 * first_epoch)
        assert row[column] == (str(reached[0] + 1) if reached.size else "never"), method


TIMED = """
name = "timed"
variant = "textbook"
[data]
n_train = 12
n_test = 6
[training]
epochs = 3
seeds = [678, 1]
batch_size = 4
[methods.sgd]
[methods.adam]
[methods.noise_training]
"""


def test_the_wall_clock_sentence(tmp_path_factory):
    """The figure's sentence (its alt text): the slowest and fastest step in milliseconds, from epoch_seconds in metrics.csv."""
    built = build_report(tmp_path_factory, "timed", TIMED)
    seconds = defaultdict(list)
    with open(built / "data" / "metrics.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["epoch_seconds"]:
                seconds[row["letter"]].append(float(row["epoch_seconds"]))
    steps_per_epoch = -(-12 // 4)
    per_step = {letter: 1000 * np.mean(values) / steps_per_epoch for letter, values in seconds.items()}
    assert all(value > 0 for value in per_step.values())  # timed, not the zeros of record_timings = false
    slowest, fastest = max(per_step, key=per_step.get), min(per_step, key=per_step.get)
    markdown = (built / "report.md").read_text()
    alt = re.search(r"!\[(Bar chart of mean milliseconds per optimizer step[^\]]*)\]\(figures/wallclock\.png\)", markdown)[1]
    assert f"the slowest step is {slowest} (" in alt and f") at {digits(per_step[slowest])} ms" in alt
    assert f"the fastest {fastest} (" in alt and f") at {digits(per_step[fastest])} ms" in alt
    assert f"divided by its steps (timed {steps_per_epoch} per epoch)" in markdown  # the caption's count
    assert re.search(r"Timed on .+ \(\d+ logical cores\)", alt)  # the machine the runs trained on
