"""Every rank, paired interval, tie and accuracy step the report prints, recomputed from its own data files.

A real build (the command line, real training) of a small experiment with six
paired seeds, a method that stops as diverged and methods close enough to tie.
The numbers are read back from ``data/metrics.csv`` and ``data/metrics.json``
with the csv module, NumPy and math.comb only, never through reportgen's
analysis: sort the paired differences, take the order statistics, count the
coverage, and compare with what report.md and paper/results.tex print.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict

import numpy as np
import pytest

from fixtures import build_report, digits, told_apart

CONFIG = """
name = "stats"
variant = "textbook"
[data]
n_train = 12
n_test = 8
[training]
epochs = 6
batch_size = 4
seeds = [678, 1, 2, 3, 4, 5]
shuffle = true
record_timings = false
divergence_threshold = 5.0   # Adagrad's first step of lr = 10 passes it: a stop on every seed
[methods.sgd]
lr = 0.1
[methods.momentum]
lr = 0.1
[methods.adagrad]
lr = 10.0
[methods.adam]
lr = 0.01
[methods.gaussian_noise]
lr = 0.1
[methods.noise_training]
[report]
tuning = "By hand, for this test."
tuning_seeds = [678, 1, 2]
"""
DASH = "\u2013"


def words(seeds: list[int]) -> str:
    """678, 1 and 2."""
    return ", ".join(map(str, seeds[:-1])) + " and " + str(seeds[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_report(tmp_path_factory, "stats", CONFIG)


@pytest.fixture(scope="module")
def runs(built):
    """letter -> (finals over seeds, final accuracies over seeds, stopped on any seed), seeds in the config's order."""
    seeds = [678, 1, 2, 3, 4, 5]
    last = defaultdict(dict)
    with open(built / "data" / "metrics.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            epoch = int(row["epoch"])
            if epoch == 6:
                cost = float(row["train_cost_logged"]) if row["train_cost_logged"] else math.nan
                accuracy = float(row["test_accuracy"]) if row["test_accuracy"] else math.nan
                last[row["letter"]][int(row["seed"])] = (cost, accuracy, row["diverged"] == "true")
    return {
        letter: (np.array([by_seed[s][0] for s in seeds]), np.array([by_seed[s][1] for s in seeds]), any(by_seed[s][2] for s in seeds))
        for letter, by_seed in sorted(last.items())
    }


@pytest.fixture(scope="module")
def report(built):
    return (built / "report.md").read_text()


def sign_interval(first: np.ndarray, second: np.ndarray):
    """(pairs, median, low, high, coverage, first lower in, p): the exact sign-test interval, by hand."""
    both = np.isfinite(first) & np.isfinite(second)
    d = np.sort(first[both] - second[both])
    n = d.size
    k = 0
    for candidate in range(1, n // 2 + 1):
        if 1 - 2 * sum(math.comb(n, i) for i in range(candidate)) / 2**n >= 0.95:
            k = candidate
    coverage = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n if k else math.nan
    low, high = (d[k - 1], d[n - k]) if k else (math.nan, math.nan)
    lower, higher = int((d < 0).sum()), int((d > 0).sum())
    p = min(1.0, 2 * sum(math.comb(lower + higher, i) for i in range(min(lower, higher) + 1)) / 2 ** (lower + higher)) if lower + higher else 1.0
    return n, (float(np.median(d)) if n else math.nan), low, high, coverage, lower, p


def median_final(finals):
    kept = finals[np.isfinite(finals)]
    return float(np.median(kept)) if kept.size else math.nan


def order(runs):
    """Letters by median final cost, a method with a stopped run (or no final cost) last."""
    return sorted(runs, key=lambda letter: (runs[letter][2] or not np.isfinite(median_final(runs[letter][0])), median_final(runs[letter][0]), letter))


def lower_than(runs, x, y) -> bool:
    last_x, last_y = runs[x][2], runs[y][2]
    if last_x != last_y:
        return last_y
    _, _, _, high, _, _, _ = sign_interval(runs[x][0], runs[y][0])
    return bool(high < 0)


def table(report: str, header: str) -> list[list[str]]:
    lines = report.split(header, 1)[1].split("\n\n", 1)[0].splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:] if line.startswith("|")]


def test_the_rank_ranges_count_every_pair(report, runs):
    letters = list(runs)
    rows = table(report, "| Rank |   | Method | Final cost |")
    assert [row[1] for row in rows] == letters
    for row in rows:
        x = row[1]
        best = 1 + sum(lower_than(runs, y, x) for y in letters if y != x)
        worst = len(letters) - sum(lower_than(runs, x, y) for y in letters if y != x)
        assert row[0] == (str(best) if best == worst else f"{best}{DASH}{worst}"), x
    ranges = {row[1]: row[0] for row in rows}
    assert ranges["d"] == str(len(letters))  # stopped on every seed: last by the divergence rule
    assert any(DASH in value for value in ranges.values()) and any(DASH not in value for value in ranges.values())  # ties and settled places


def test_costs_print_digits_that_tell_them_apart(built, report, runs):
    rows = table(report, "| Rank |   | Method | Final cost |")
    medians = {letter: median_final(runs[letter][0]) for letter in runs if np.isfinite(median_final(runs[letter][0]))}
    curves = defaultdict(lambda: defaultdict(list))  # letter -> epoch -> costs over seeds
    with open(built / "data" / "metrics.csv", newline="") as stream:
        for line in csv.DictReader(stream):
            curves[line["letter"]][int(line["epoch"])].append(float(line["train_cost_logged"]) if line["train_cost_logged"] else math.nan)
    best = {}
    for letter, by_epoch in curves.items():
        plotted = [np.median([cost for cost in costs if np.isfinite(cost)]) if np.isfinite(costs).any() else math.nan for _, costs in sorted(by_epoch.items())]
        if np.isfinite(plotted).any():
            best[letter] = float(np.nanmin(plotted))
    for row in rows:
        assert row[3] == (told_apart(medians[row[1]], medians.values()) if row[1] in medians else "n/a"), row
        assert row[5] == (told_apart(best[row[1]], best.values()) if row[1] in best else "n/a"), row


def test_each_step_is_the_sign_test_interval_of_neighbours(report, runs):
    rows = table(report, "| Upper | Next | Median difference |")
    ranked = order(runs)
    assert [(row[0][0], row[1][0]) for row in rows] == list(zip(ranked, ranked[1:]))
    verdicts = set()
    for row, (upper, lower) in zip(rows, zip(ranked, ranked[1:])):
        n, median, low, high, coverage, first_lower, p = sign_interval(runs[upper][0], runs[lower][0])
        assert row[2] == (digits(median) if n else "n/a")
        assert row[3] == (f"{digits(low)} to {digits(high)}" if math.isfinite(low) else "n/a to n/a")
        assert row[4] == (f"{digits(100 * coverage)}%" if math.isfinite(coverage) else "n/a")
        assert row[5] == f"{first_lower} of {n}" and row[6] == digits(p)
        if runs[lower][2] and not runs[upper][2]:
            expected = f"{lower} diverges (rule)"
        elif high < 0:
            expected = f"{upper} lower"
        else:
            expected = "tie" if not low > 0 else f"{lower} lower"
        assert row[7] == expected
        verdicts.add(expected.split()[-1])
    assert {"tie", "lower", "(rule)"} <= verdicts  # the build exercises every kind of verdict


def test_the_summary_sentences_rest_on_the_same_intervals(report, runs):
    ranked = order(runs)
    findings = [line[2:] for line in report.splitlines() if line.startswith("- In stats")]
    leaders = next(line for line in findings if line.startswith("In stats the lowest median final costs are"))
    for letter in ranked[:3]:
        assert f"{letter} (" in leaders and f") {digits(median_final(runs[letter][0]))} (rank " in leaders
    assert "over 6 seeds allow (96.88% coverage each)" in leaders
    n, median, low, high, coverage, first_lower, p = sign_interval(runs[ranked[0]][0], runs[ranked[1]][0])
    step = next(line for line in findings if line.startswith("In stats the first two"))
    assert f"differ by a median of {digits(median)} over {n} seeds ({digits(100 * coverage)}% interval {digits(low)} to {digits(high)}" in step
    assert f"lower in {first_lower} of {n}, sign-test p = {digits(p)}): " + (f"{ranked[0]} is lower." if high < 0 else "a tie.") in step


def test_accuracy_ties_and_its_step_come_from_n_test(built, report, runs):
    n_test = json.loads((built / "data" / "metrics.json").read_text())["experiments"][0]["data"]["n_test"]
    accuracies = np.concatenate([runs[letter][1] for letter in runs])
    finite = accuracies[np.isfinite(accuracies)]
    assert np.allclose(finite * n_test, np.round(finite * n_test))  # one image is one step
    step = digits(100 / n_test)
    assert f"Test accuracy on {n_test} images moves in steps of {step} points (one image); equal accuracies are ties." in report
    medians = {letter: float(np.median(runs[letter][1])) for letter in runs if np.isfinite(runs[letter][1]).all()}
    best = max(medians.values())
    top = [letter for letter in runs if medians.get(letter) == best]
    sentence = next(line for line in report.splitlines() if line.startswith("- In stats the highest median final test accuracy"))
    assert f"is {best * 100:.1f}%, reached by " in sentence and all(f"{letter} (" in sentence.split(";")[0] for letter in top)
    assert f"{n_test} test images give accuracy in steps of {step} points (one image)" in sentence
    def tie(letter):
        _, _, low, high, _, _, _ = sign_interval(runs[letter][1], runs[top[0]][1])
        return not (low > 0 or high < 0)

    close = [letter for letter in medians if letter not in top and tie(letter)]
    if close:
        assert all(f"{letter} (" in sentence.split("paired over 6 seeds, ")[1] for letter in close)
    else:
        assert f"every method below {best * 100:.1f}% is shown less accurate than {top[0]}." in sentence


def test_the_latex_table_prints_the_same_ranks_and_costs(built, report):
    latex = (built / "paper" / "results.tex").read_text()
    assert "stats (textbook variant, 6 seeds; paired intervals of 96.88\\% coverage)" in latex
    for row in table(report, "| Rank |   | Method | Final cost |"):
        assert f"{row[0]} & {row[1]} & {row[2]} & {row[3]} & " in latex


def test_limitations_and_tuning_state_the_data_and_seeds(built, report):
    meta = json.loads((built / "data" / "metrics.json").read_text())["experiments"][0]
    seeds, tuned = meta["seeds"], meta["config"]["report"]["tuning_seeds"]
    held_out = [seed for seed in seeds if seed not in tuned]
    methods = len(meta["methods"])
    limitations = report.split("## Limitations", 1)[1].split("## References", 1)[0]
    assert f"stats: {meta['data']['n_train']} training and {meta['data']['n_test']} test images." in limitations
    assert f"{len(seeds)} paired seeds: a difference is declared only when {len(seeds)} of them agree on its sign" in limitations
    assert f"no correction for the {methods * (methods - 1) // 2} pairs" in limitations
    assert f"tuned on seeds {words(tuned)}, which it also reports" in limitations
    assert meta["data"]["source"] == "embedded" and "Its images are the embedded sample of other images, not the 2018 images" in limitations
    setup = report.split("## Setup", 1)[1].split("## Derivations", 1)[0]
    assert "How the learning rates of stats were chosen: By hand, for this test." in setup
    assert f"They were tuned on seeds {words(tuned)}:" in setup
    assert f"{len(tuned)} of the {len(seeds)} seeds this report ranks them on (seeds {words(held_out)} played no part in the choice)." in setup
    assert f"a 95% paired interval takes 6 of them, and this report has {len(held_out)}." in setup
