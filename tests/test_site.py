"""The static site of a suite: its pages stand alone and link to each other, and every number its sentences and
tables state is recomputed here from its own data files, apart from the code that wrote them."""

from __future__ import annotations

import csv
import html
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from reportgen import cli

SUITE = """
name = "mini"
description = "Three methods on four small problems."
[training]
seeds = [1, 2, 3, 4, 5]
shuffle = true
[tuning]
lr = "1e-3:1:4"
seeds = [101]
[methods.sgd]
[methods.momentum]
[methods.adam]
[problems.rosenbrock]
epochs = 60
[problems.noisy-quadratic]
epochs = 60
options = { d = 10, kappa = 10, sigma = 0.0 }
[problems.digits-softmax]
epochs = 3
batch_size = 32
data = { train_per_digit = 20, test_per_digit = 10 }
[problems.mnist01-mlp]
epochs = 4
batch_size = 10
data = { n_train = 30, n_test = 10 }
"""
PROBLEMS = ("rosenbrock", "noisy-quadratic", "digits-softmax", "mnist01-mlp")
METHODS = ("sgd", "momentum", "adam")
LINK = re.compile(r'(?:href|src)="([^"]*)"')
ID = re.compile(r'\sid="([^"]+)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    (root / "mini.toml").write_text(SUITE, encoding="utf-8")
    assert cli.main(["build", "--config", str(root / "mini.toml"), "--out", str(root / "out"), "--workers", "1", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built / "out" / "mini"


def read_csv(site: Path, name: str) -> list[dict]:
    with open(site / "data" / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def test_the_site_has_an_overview_and_a_page_per_problem_and_method(site):
    assert (site / "index.html").is_file()
    assert sorted(p.stem for p in (site / "problems").glob("*.html")) == sorted(PROBLEMS)
    assert sorted(p.stem for p in (site / "methods").glob("*.html")) == sorted(METHODS)


def pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted((site / "problems").glob("*.html")), *sorted((site / "methods").glob("*.html"))]


def test_every_page_stands_alone_and_every_link_resolves(site):
    for page in pages(site):
        content = page.read_text(encoding="utf-8")
        assert "<script" not in content and "<link" not in content and "@import" not in content  # CSS and figures inline, nothing fetched
        assert "<svg" in content or page.parent.name == "methods"
        ids = set(ID.findall(content))
        for target in LINK.findall(content):
            target = html.unescape(target)
            if target.startswith(("http://", "https://", "data:")):
                continue
            if target.startswith("#"):
                assert target[1:] in ids, f"{page.name}: no anchor {target}"
                continue
            assert (page.parent / target.split("#")[0]).resolve().is_file(), f"{page.relative_to(site)}: broken link {target}"
        assert len(ids) == len(ID.findall(content)), f"{page.name}: an id given twice"


def test_the_pages_link_to_each_other(site):
    overview = (site / "index.html").read_text(encoding="utf-8")
    for problem in PROBLEMS:
        assert f'href="problems/{problem}.html"' in overview
    for method in METHODS:
        assert f'href="methods/{method}.html"' in overview
        page = (site / "methods" / f"{method}.html").read_text(encoding="utf-8")
        assert 'href="../index.html"' in page and all(f'href="../problems/{p}.html"' in page for p in PROBLEMS)


def test_single_file_holds_every_page_as_a_section_with_anchors(built):
    assert cli.main(["render", "--config", str(built / "mini.toml"), "--out", str(built / "out"), "--single-file", "--quiet"]) == 0
    page = (built / "out" / "mini" / "index.html").read_text(encoding="utf-8")
    try:
        ids = set(ID.findall(page))
        assert {f"problem-{p}" for p in PROBLEMS} <= ids and {f"method-{m}" for m in METHODS} <= ids
        links = [html.unescape(target) for target in LINK.findall(page)]
        assert not [target for target in links if target.endswith(".html")], "a single file links to no other page"
        assert all(target[1:] in ids for target in links if target.startswith("#"))
    finally:  # the multi-page overview back, for the other tests
        assert cli.main(["render", "--config", str(built / "mini.toml"), "--out", str(built / "out"), "--quiet"]) == 0


# --- the numbers, from the data files alone ---------------------------------------------------------------------


def upper_median(values) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def recomputed(site: Path):
    """From curves.csv and targets.csv alone: each problem's target, each (problem, method)'s median steps to it, the
    integrated scores (AlgoPerf's trapezoids on 100 taus up to 4) and the speed-ups against SGD."""
    curves = defaultdict(list)
    for row in read_csv(site, "curves.csv"):
        curves[row["problem"], row["method"], row["seed"]].append(float(row["value"]))
    targets = {row["problem"]: row for row in read_csv(site, "targets.csv")}
    best = defaultdict(list)
    for (problem, method, _), curve in curves.items():
        finite = [value for value in curve if np.isfinite(value)]
        best[problem, method].append(min(finite) if finite else np.inf)
    steps = defaultdict(list)
    for problem, row in targets.items():
        expected = max(min(upper_median(best[problem, name]) for name in ("momentum", "adam")), float(row["floor"]))
        assert float(row["target"]) == pytest.approx(expected, rel=1e-12)
    for (problem, method, _), curve in curves.items():
        target = float(targets[problem]["target"])
        first = next((epoch for epoch, value in enumerate(curve, start=1) if value <= target), np.inf)
        steps[problem, method].append(first * int(targets[problem]["steps_per_epoch"]))
    medians = {key: float(np.median(values)) for key, values in steps.items()}
    ratios = {}
    for problem in targets:
        fastest = min(medians[problem, m] for m in METHODS)
        for method in METHODS:
            ratios[problem, method] = medians[problem, method] / fastest if np.isfinite(fastest) else np.inf
    taus = np.linspace(1.0, 4.0, 100)
    scores = {method: float(np.trapezoid([np.mean([ratios[p, method] <= tau for p in targets]) for tau in taus], taus) / 3.0) for method in METHODS}
    speedups = {}
    for method in METHODS:
        both = [p for p in targets if np.isfinite(medians[p, method]) and np.isfinite(medians[p, "sgd"])]
        speedups[method] = (float(np.exp(np.mean([np.log(medians[p, "sgd"] / medians[p, method]) for p in both]))) if both else np.nan, len(both))
    return medians, scores, speedups


def test_targets_times_scores_and_speedups_follow_from_the_curves(site):
    medians, scores, speedups = recomputed(site)
    assert speedups["adam"][1] > 0, "the fixture's SGD must reach a problem Adam reaches, or no speed-up is checked"
    for row in read_csv(site, "scores.csv"):
        method = row["method"]
        assert float(row["integrated"]) == pytest.approx(scores[method], abs=1e-12)
        assert int(row["problems_reached"]) == sum(np.isfinite(medians[p, method]) for p in PROBLEMS)
        value, both = speedups[method]
        assert int(row["speedup_problems"]) == both
        assert (np.isnan(value) and row["speedup"] == "nan") or float(row["speedup"]) == pytest.approx(value, rel=1e-12)
    overview = (site / "index.html").read_text(encoding="utf-8")
    table = overview[overview.index('id="raw-table"'):]
    for method in METHODS:
        row = re.search(rf'href="methods/{method}\.html">.*?</tr>', table, re.S).group(0)
        shown = [text(cell).split("lr")[0].strip() for cell in re.findall(r'<td class="number">(.*?)</td>', row, re.S)]
        expected = [("did not reach" if not np.isfinite(medians[p, method]) else f"{medians[p, method]:.4g}") for p in PROBLEMS]
        assert [cell.split(" (")[0] for cell in shown] == expected


def takeaways(site: Path) -> list[str]:
    overview = (site / "index.html").read_text(encoding="utf-8")
    block = re.search(r'<div class="takeaway">(.*?)</div>', overview, re.S).group(1)
    return [text(p) for p in re.findall(r"<p>(.*?)</p>", block, re.S)]


def test_the_takeaways_state_what_the_data_files_hold(site):
    medians, _, speedups = recomputed(site)
    rows = {row["method"]: row for row in read_csv(site, "scores.csv")}
    lines = takeaways(site)
    top = max(float(row["integrated"]) for row in rows.values())
    best = [row for row in rows.values() if float(row["integrated"]) == top]
    assert f"{top:.2f} (95% interval {float(best[0]['integrated_low']):.2f} to {float(best[0]['integrated_high']):.2f})" in lines[0]
    assert all(f"{row['letter']}. " in lines[0] for row in best) and "tied" not in lines[0]
    reached = [p for p in PROBLEMS if any(np.isfinite(medians[p, m]) for m in METHODS)]
    winners = {m for p in reached for m in METHODS if medians[p, m] == min(medians[p, n] for n in METHODS)}
    assert (f"{len(winners)} different methods are fastest on at least one of the {len(PROBLEMS)} problems" in lines[1]) == (len(winners) > 1)
    counts = {m: sum(np.isfinite(medians[p, m]) for p in PROBLEMS) for m in METHODS}
    every = sum(count == len(PROBLEMS) for count in counts.values())
    assert lines[2].startswith(f"{every} of the {len(METHODS)} methods reach" if every else "No method reaches the target on all")
    eligible = {m: v for m, (v, both) in speedups.items() if m != "sgd" and np.isfinite(v) and both >= 2}
    speed = [line for line in lines if line.startswith("Against plain SGD")]
    if eligible:
        fastest = max(eligible, key=eligible.get)
        assert f"is {rows[fastest]['letter']}. " in speed[0] and f"{eligible[fastest]:.3g}x" in speed[0]
    else:
        assert not speed
    tuning = read_csv(site, "tuning.csv")
    grid = sorted({float(row["lr"]) for row in tuning})
    at_edge = [row for row in tuning if row["chosen"] == "True" and float(row["lr"]) in (grid[0], grid[-1])]
    edge_lines = [line for line in lines if "at an end of the grid" in line]
    assert (edge_lines[0].startswith(f"{len(at_edge)} tuned learning rate") if at_edge else not edge_lines)


def test_the_tuned_rate_of_each_problem_is_a_grid_value_with_the_lowest_median_best(site):
    runs = read_csv(site, "runs.csv")
    for problem in PROBLEMS:
        rows = [row for row in read_csv(site, "tuning.csv") if row["problem"] == problem]
        for method in METHODS:
            mine = [row for row in rows if row["method"] == method]
            (best,) = [row for row in mine if row["chosen"] == "True"]
            assert float(best["median_best"]) == min(float(row["median_best"]) for row in mine)  # ties: the earlier to reach it
            used = {float(row["lr"]) for row in runs if row["problem"] == problem and row["method"] == method}
            assert used == {float(best["lr"])}


def test_the_paths_of_a_two_dimensional_problem_are_drawn_animated_and_the_quadratic_has_its_distances(site):
    rosenbrock = (site / "problems" / "rosenbrock.html").read_text(encoding="utf-8")
    assert 'id="figure-rosenbrock-paths"' in rosenbrock and "@keyframes" in rosenbrock and "prefers-reduced-motion" in rosenbrock
    assert 'id="figure-noisy-quadratic-distance"' in (site / "problems" / "noisy-quadratic.html").read_text(encoding="utf-8")
    for problem in PROBLEMS:
        assert f'id="figure-{problem}-tuning"' in (site / "problems" / f"{problem}.html").read_text(encoding="utf-8")
    assert (site / "paper" / "scores.tex").read_text(encoding="utf-8").count(r"\\") == 1 + len(METHODS)


@pytest.mark.parametrize("argv", [["sweep"], ["ablate"], ["build", "--config", "plain.toml"]])
def test_a_suite_is_built_alone(built, argv, capsys):
    (built / "plain.toml").write_text('name = "plain"\n[methods.sgd]\n', encoding="utf-8")
    command, *more = argv
    more = [str(built / item) if item.endswith(".toml") else item for item in more]
    assert cli.main([command, "--config", str(built / "mini.toml"), *more, "--out", str(built / "other")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a suite of problems builds a site of its own; give it alone to `build` or `render`" in err


def test_rendering_a_suite_that_was_never_trained_names_what_is_missing(built, tmp_path, capsys):
    assert cli.main(["render", "--config", str(built / "mini.toml"), "--out", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(r"reportgen: error: mini-rosenbrock tuning: 12 runs are not stored in \S+; run `reportgen build` first\n", err)


def test_the_step_costs_are_measured_once_stored_and_stated_from_their_file(built, site):
    costs = read_csv(site, "step_costs.csv")
    assert {(row["problem"], row["method"]) for row in costs} == {(p, m) for p in PROBLEMS for m in METHODS}
    assert all(float(row["ratio_to_sgd"]) == 1.0 for row in costs if row["method"] == "sgd")
    stored = sorted((built / "out" / "results").glob("mini-*/step_cost.json"))
    assert len(stored) == len(PROBLEMS)  # beside each result set: a render reads them instead of measuring again
    medians = {m: float(np.median([float(r["ratio_to_sgd"]) for r in costs if r["method"] == m])) for m in METHODS}
    costliest = max(medians, key=medians.get)
    line = next(line for line in takeaways(site) if line.startswith("A step of"))
    letters = {row["method"]: row["letter"] for row in read_csv(site, "scores.csv")}
    assert line.startswith(f"A step of {letters[costliest]}. ") and f"costs the most: {medians[costliest]:.3g} times SGD's, the median over the {len(PROBLEMS)} problems" in line
    row = {r["method"]: r for r in read_csv(site, "scores.csv")}
    assert all(float(row[m]["step_cost_ratio"]) == pytest.approx(medians[m], rel=1e-12) for m in METHODS)


UNTUNED = """
name = "plain-suite"
description = "Untuned, with a second entry of Adam."
[training]
seeds = [1, 2, 3, 4, 5]
[methods.sgd]
lr = 0.001
[methods.momentum]
lr = 0.001
[methods.adam]
lr = 0.1
[methods.adam_slow]
method = "adam"
lr = 0.01
[problems.rosenbrock]
epochs = 40
[problems.noisy-quadratic]
epochs = 40
options = { d = 4 }
"""


def test_a_suite_without_tuning_says_so_and_an_entry_that_reruns_a_method_has_its_page(tmp_path):
    (tmp_path / "plain.toml").write_text(UNTUNED, encoding="utf-8")
    assert cli.main(["build", "--config", str(tmp_path / "plain.toml"), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    site = tmp_path / "out" / "plain-suite"
    overview = text((site / "index.html").read_text(encoding="utf-8"))
    assert "The learning rates are as the experiment sets them, not tuned" in overview and "tuned for each problem" not in overview
    assert "tuning.csv" not in overview and not (site / "data" / "tuning.csv").exists()
    slow = (site / "methods" / "adam_slow.html").read_text(encoding="utf-8")
    assert "Update equation" in slow and "0.01" in slow
    rosenbrock = text((site / "problems" / "rosenbrock.html").read_text(encoding="utf-8"))
    assert "the problem has no noise and one start, so every seed gives the same run" in rosenbrock
    # One page now: the pages of the multi-page build are gone, not left behind stale.
    assert cli.main(["render", "--config", str(tmp_path / "plain.toml"), "--out", str(tmp_path / "out"), "--single-file", "--quiet"]) == 0
    assert not list(site.glob("problems/*.html")) and not list(site.glob("methods/*.html"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seeds = [1, 2, 3, 4, 5]", "seeds = [1, 2, 3]"), "plain-suite-rosenbrock: a site states intervals and ranks over the seeds; give [training] seeds at least 5 (it has 3)"),
        (('name = "plain-suite"', 'name = "results"'), "name: 'results' is the results store's folder in --out; give the suite another name"),
        (("[methods.momentum]\nlr = 0.001\n", ""), "plain-suite-rosenbrock: a site's targets and speed-ups need sgd, momentum, adam among its methods; add [methods.momentum]"),
    ],
)
def test_what_a_site_needs_is_checked_before_anything_trains(tmp_path, capsys, change, message):
    (tmp_path / "bad.toml").write_text(UNTUNED.replace(*change), encoding="utf-8")
    assert cli.main(["build", "--config", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"reportgen: error: {message}\n"
    assert not (tmp_path / "out" / "results").exists()
