"""Quirk ablations: which runs each arm changes, and the report's effects recomputed from data/ablations.csv.

The build is real (the command line, real training) on a small network; the
paired differences and sign-test intervals are recomputed with csv, NumPy
and math.comb only, never through reportgen's analysis.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict

import numpy as np
import pytest

from reportgen import cli, config, optimizers
from reportgen.ablation.plan import ACTIVATION_QUIRK, plan

TOML = """
name = "{name}"
variant = "{variant}"
[data]
n_train = 10
n_test = 5
[network]
hidden = [16, 8]
activation = "{activation}"
[training]
epochs = 3
seeds = [678]
record_timings = false
[methods.adadelta]
[methods.adam]
"""


def changed_settings(arm) -> dict:
    return {key: value for key, value in arm.spec.hyperparams.items() if arm.baseline.hyperparams.get(key) != value}


def test_each_replica_arm_undoes_exactly_its_quirk():
    replica = config.load_preset("seed-2018")
    planned = plan(replica, {})
    assert planned.direction == "fix" and planned.seeds == (678, 0, 1, 2, 3, 4)
    method_arms = [arm for arm in planned.arms if arm.quirk != ACTIVATION_QUIRK]
    quirks = {(name, quirk.text): quirk.fix for name in optimizers.ARTICLE_METHODS for quirk in optimizers.describe(name, "seed-2018").quirks if quirk.fix}
    assert {(arm.baseline.name, arm.quirk) for arm in method_arms} == set(quirks)
    for arm in method_arms:
        assert arm.spec.variant == "seed-2018" and arm.activation == "elu_2018"
        assert changed_settings(arm) == {key: value for key, value in quirks[(arm.baseline.name, arm.quirk)].items() if arm.baseline.hyperparams[key] != value}
        assert changed_settings(arm)  # every fix changes a setting
    network_arms = [arm for arm in planned.arms if arm.quirk == ACTIVATION_QUIRK]
    assert [arm.baseline for arm in network_arms] == list(replica.methods) and {arm.activation for arm in network_arms} == {"elu"}


def test_each_textbook_arm_adds_exactly_its_quirk_at_the_textbook_learning_rate():
    textbook = config.load_preset("textbook")
    planned = plan(textbook, {"seeds": 6})
    assert planned.direction == "add"
    for arm in planned.arms:
        if arm.quirk == ACTIVATION_QUIRK:
            assert arm.spec == arm.baseline and arm.activation == "elu_2018"
            continue
        assert arm.spec.variant == "seed-2018" and arm.baseline.variant == "textbook" and arm.activation == "elu"
        if "lr" in arm.baseline.hyperparams and "lr" in arm.spec.hyperparams:
            assert arm.spec.hyperparams["lr"] == arm.baseline.hyperparams["lr"]
        quirk = next(quirk for quirk in optimizers.describe(arm.baseline.name, "seed-2018").quirks if quirk.text == arm.quirk)
        defaults = optimizers.defaults(arm.baseline.name, "seed-2018")
        for key in quirk.fix:  # the quirk's settings are the 2018 ones, every other quirk is undone
            assert arm.spec.hyperparams[key] == defaults[key]
    # NAdam's constant correction exists only without Dozat's schedule: its one arm adds both
    nadam = [arm.quirk for arm in planned.arms if arm.baseline.name == "nadam" and arm.quirk != ACTIVATION_QUIRK]
    assert len(nadam) == 1 and nadam[0].startswith("no momentum schedule")


def test_an_ablation_needs_one_variant_and_known_keys():
    experiment = config.validate({"methods": {"sgd": {}, "adam": {"variant": "seed-2018"}}}, "mixed")
    with pytest.raises(config.ConfigError, match="mixes variants"):
        plan(experiment, {})
    with pytest.raises(config.ConfigError, match=r"ablation.seed: unknown key \(did you mean 'seeds'\?\)"):
        plan(config.load_preset("seed-2018"), {"seed": 6})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("ablation")
    paths = []
    for name, variant, activation in (("tiny-2018", "seed-2018", "elu_2018"), ("tiny-textbook", "textbook", "elu")):
        path = root / f"{name}.toml"
        path.write_text(TOML.format(name=name, variant=variant, activation=activation))
        paths += ["--config", str(path)]
    out = root / "out"
    assert cli.main(["build", *paths, "--out", str(out), "--quiet"]) == 0
    assert "not measured in this build" in (out / "index.html").read_text()
    assert cli.main(["ablate", *paths, "--out", str(out), "--quiet"]) == 0
    ablated = (out / "index.html").read_text()
    assert cli.main(["render", *paths, "--out", str(out), "--quiet"]) == 0  # a later build finds the stored ablation
    assert (out / "index.html").read_text().replace("reportgen render", "reportgen ablate") == ablated
    return out


def sign_test_interval(differences: np.ndarray) -> tuple[float, float] | None:
    """The narrowest [d_(k), d_(n+1-k)] with 1 - 2 P(Binomial(n, 1/2) <= k - 1) >= 0.95."""
    n, chosen = differences.size, None
    for k in range(1, n // 2 + 1):
        if 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n < 0.95:
            break
        chosen = k
    return None if chosen is None else (differences[chosen - 1], differences[n - chosen])


def table_rows(markdown: str, heading_start: str) -> list[list[str]]:
    """The cells of the table under the ### heading that starts with ``heading_start``."""
    section = markdown.split(f"### {heading_start}", 1)[1].split("\n#", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]  # after the header and rule rows


def test_every_effect_the_report_prints_is_recomputed_from_the_data_file(built):
    rows = defaultdict(list)
    with open(built / "data" / "ablations.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            rows[(row["experiment"], row["method"], row["quirk"])].append((float(row["baseline_final_cost"]), float(row["arm_final_cost"])))
    assert {experiment for experiment, _, _ in rows} == {"tiny-2018", "tiny-textbook"}
    assert all(len(pairs) == 6 for pairs in rows.values())
    markdown = (built / "report.md").read_text()
    printed = {experiment: table_rows(markdown, f"{experiment}: each quirk") for experiment in ("tiny-2018", "tiny-textbook")}
    ties = 0
    for experiment in printed:
        mine = [(key, pairs) for key, pairs in rows.items() if key[0] == experiment]
        assert len(mine) == len(printed[experiment])
        for ((_, method, _), pairs), cells in zip(mine, printed[experiment]):
            assert cells[1] == optimizers.TITLES[method]
            baseline, arm = np.array(pairs).T
            differences = np.sort(arm - baseline)
            low, high = sign_test_interval(differences)
            assert cells[4] == f"{np.median(baseline):.4g}" and cells[5] == f"{np.median(arm):.4g}"
            assert cells[6] == f"{np.median(differences):.4g}"
            assert cells[7] == f"[{low:.4g}, {high:.4g}]"
            tie = low <= 0 <= high
            ties += tie
            assert cells[8].startswith("No effect shown") == tie, cells
    assert 0 < ties < sum(len(table) for table in printed.values())  # both kinds of row are checked


def test_the_summary_sentence_counts_the_effects_shown_and_names_the_largest(built):
    rows = defaultdict(list)
    with open(built / "data" / "ablations.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            rows[(row["experiment"], row["method"], row["quirk"])].append((float(row["baseline_final_cost"]), float(row["arm_final_cost"])))
    markdown = (built / "report.md").read_text()
    for experiment, changed in (("tiny-2018", "undone"), ("tiny-textbook", "added")):
        shown = {}
        for (name, method, quirk), pairs in rows.items():
            if name != experiment:
                continue
            baseline, arm = np.array(pairs).T
            differences = np.sort(arm - baseline)
            low, high = sign_test_interval(differences)
            if not low <= 0 <= high:
                shown[(method, quirk)] = float(np.median(differences))
        total = sum(1 for key in rows if key[0] == experiment)
        sentence = f"In {experiment}, with each 2018 quirk {changed} alone over 6 paired seeds, {len(shown)} of {total} change the final cost beyond their interval"
        assert sentence in markdown
        if shown:
            method, quirk = max(shown, key=lambda key: abs(shown[key]))
            assert f"{optimizers.TITLES[method]}): {quirk} (median change {shown[(method, quirk)]:.4g})" in markdown.replace("&lt;", "<").replace("&#34;", '"')


def test_a_wrong_seed_count_fails_before_any_training(tmp_path, capsys):
    assert cli.main(["ablate", "--preset", "seed-2018", "--seeds", "0", "--out", str(tmp_path / "out")]) == 2
    assert "--seeds: expected a number of seeds 1 to 1000" in capsys.readouterr().err
    assert not (tmp_path / "out" / "results").exists()
