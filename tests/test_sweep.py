"""Learning-rate sweeps: grid parsing, cells as stored runs, resume, analysis, figures and the command line."""

import math
import re

import numpy as np
import pytest

from fixtures import make_pair, render_report, unnamed_drawings

from reportgen import cli, config
from reportgen.formatting import number
from reportgen.report import drawing, figures, sweep_figures
from reportgen.sweep import analysis as sweep_analysis
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep import run as sweep_run
from reportgen.training import executors
from reportgen.training.runner import load_split
from reportgen.training.trainer import train_one
from reportgen.errors import ConfigError
from reportgen.training.store import ResultStore


def tiny(**training):
    raw = {
        "name": "tiny",
        "variant": "textbook",
        "data": {"n_train": 8, "n_test": 4},
        "network": {"hidden": [6, 3]},
        "training": {"epochs": 4, "seeds": [678, 5], "record_timings": False, **training},
        "methods": {"sgd": {"lr": 0.05}, "adam": {"lr": 0.01}, "gaussian_noise": {"lr": 0.01}, "noise_training": {"lr": 1e-4}},
    }
    return config.validate(raw, "tiny.toml")


def test_a_grid_is_log_spaced_with_both_ends_and_readable_values():
    assert sweep_plan.parse_grid("sweep.lr", "1e-4:1e-1:5") == (1e-4, 0.000562341, 0.00316228, 0.0177828, 0.1)
    assert sweep_plan.parse_grid("sweep.lr", [0.1, 0.001]) == (0.001, 0.1)


@pytest.mark.parametrize(
    "grid, complaint",
    [
        ("1e-1:1e-4:5", "LOW < HIGH"),
        ("0:1e-1:5", "LOW < HIGH"),
        ("1e-4:1e-1:1", "POINTS must be 2"),
        ("1e-4:1e-1", "LOW:HIGH:POINTS"),
        ("1e-4:1e-1:5:7", "LOW:HIGH:POINTS"),
        ("fast", "LOW:HIGH:POINTS"),
        ([0.1, -1.0], "above 0"),
        ([0.1, 0.1], "repeat"),
        (0.1, "LOW:HIGH:POINTS"),
    ],
)
def test_a_bad_grid_names_its_field(grid, complaint):
    with pytest.raises(ConfigError, match=r"^sweep\.lr: .*" + complaint.replace("(", r"\(")):
        sweep_plan.parse_grid("sweep.lr", grid)


@pytest.mark.parametrize(
    "table, complaint",
    [
        ({}, r"sweep\.lr: required"),
        ({"lr": "1e-3:1:3", "method": ["sgd"]}, r"sweep\.method: unknown key \(did you mean 'methods'\?\)"),
        ({"lr": "1e-3:1:3", "methods": ["nadam"]}, r"sweep\.methods: 'nadam' is not a method of experiment 'tiny'"),
        ({"lr": "1e-3:1:3", "seeds": 0}, r"sweep\.seeds: expected a number of seeds"),
        ({"lr": "1e-3:1:3", "grids": {"adam": {"eta": "1e-3:1:3"}}}, r"sweep\.grids\.adam\.eta: adam has no eta"),
        ({"lr": "1e-3:1:3", "methods": ["sgd"], "grids": {"adam": {"lr": "1e-3:1:3"}}}, r"sweep\.grids\.adam: not a swept method"),
    ],
)
def test_a_bad_sweep_table_names_its_field(table, complaint):
    with pytest.raises(ConfigError, match=complaint):
        sweep_plan.plan(tiny(), table)


def test_a_method_without_a_learning_rate_is_left_out_or_refused():
    raw = {"name": "old", "variant": "seed-2018", "training": {"epochs": 2}, "methods": {"sgd": {}, "adadelta": {}}}
    experiment = config.validate(raw, "old.toml")
    assert [axis.method.name for axis in sweep_plan.plan(experiment, {"lr": "1e-3:1:3"}).axes] == ["sgd"]
    with pytest.raises(ConfigError, match=r"sweep\.methods: adadelta \(seed-2018\) has no learning rate"):
        sweep_plan.plan(experiment, {"lr": "1e-3:1:3", "methods": ["adadelta"]})


def test_the_plan_crosses_grids_with_seeds_and_adds_each_default_once():
    plan = sweep_plan.plan(tiny(), {"lr": "1e-3:1e-1:3", "eta": [0.01, 1.0], "seeds": 3, "grids": {"noise_training": {"lr": [1e-5, 1e-3]}}})
    assert plan.seeds == (678, 5, 0)  # the experiment's seeds, then the smallest unused
    assert [(axis.method.name, axis.parameter, axis.values) for axis in plan.axes] == [
        ("sgd", "lr", (0.001, 0.01, 0.1)),
        ("adam", "lr", (0.001, 0.01, 0.1)),
        ("gaussian_noise", "lr", (0.001, 0.01, 0.1)),
        ("gaussian_noise", "eta", (0.01, 1.0)),
        ("noise_training", "lr", (1e-5, 1e-3)),
    ]
    # sgd 3 + default; adam 3 (default in grid); gaussian lr 3 (default in grid) + eta 1.0
    # (eta 0.01 is the default); noise_training 2 + default: 14 cells, 3 seeds each
    specs = plan.specs()
    assert len(specs) == 14 * 3
    assert len({(sweep_plan.cell_name(spec.method), spec.seed) for spec in specs}) == len(specs)
    changed = [spec.method.hyperparams for spec in specs if spec.method.name == "gaussian_noise" and spec.seed == 0]
    assert {"lr": 0.01, "eta": 1.0, "gamma": 0.55} in changed


def test_a_cell_is_an_ordinary_run_stored_once_and_a_sweep_resumes(tmp_path):
    store = ResultStore(tmp_path)
    plan = sweep_plan.plan(tiny(), {"lr": "1e-3:1e-1:3", "methods": ["sgd", "adam"], "seeds": 2})
    first = sweep_run.run_sweep(plan, store, executors.InProcessExecutor(), quiet=True)
    assert (first.trained, first.reused) == (7 * 2, 0)

    # one cell's run equals the same run trained by the batch runner
    spec = next(spec for spec in plan.specs() if spec.method.name == "adam" and spec.method.hyperparams["lr"] == 0.1 and spec.seed == 5)
    split = load_split(plan.experiment.config)
    root = store.directory("tiny-sweep", sweep_run.sweep_key(plan.experiment, split.fingerprint))
    stored = store.load_run(root / "cells" / sweep_plan.cell_name(spec.method), spec)
    direct = train_one(spec, split)
    assert stored.arrays["train_cost_logged"].tobytes() == direct.arrays["train_cost_logged"].tobytes()

    files = sorted((root / "cells").glob("*/runs/*.npz"))
    assert len(files) == 14
    files[0].unlink()
    files[1].write_bytes(b"half a file")  # as if killed while writing
    resumed = sweep_run.run_sweep(plan, store, executors.InProcessExecutor(), quiet=True)
    assert (resumed.trained, resumed.reused) == (2, 12)
    assert resumed.analysis == first.analysis

    # a wider grid reuses every cell it shares with the first
    wider = sweep_plan.plan(tiny(), {"lr": "1e-3:1e1:5", "methods": ["sgd", "adam"], "seeds": 2})
    assert sweep_run.run_sweep(wider, store, executors.InProcessExecutor(), quiet=True).trained == 2 * 2 * 2


def test_the_process_pool_gives_the_same_sweep_as_one_process(tmp_path):
    plan = sweep_plan.plan(tiny(), {"lr": "1e-3:1e-1:3", "methods": ["sgd", "noise_training"], "seeds": 2})
    alone = sweep_run.run_sweep(plan, ResultStore(tmp_path / "a"), executors.InProcessExecutor(), quiet=True)
    pooled = sweep_run.run_sweep(plan, ResultStore(tmp_path / "b"), executors.ProcessPoolExecutor(2), quiet=True)
    assert alone.analysis == pooled.analysis
    for first, second in zip(sorted((tmp_path / "a").rglob("*.npz")), sorted((tmp_path / "b").rglob("*.npz"))):
        assert first.relative_to(tmp_path / "a") == second.relative_to(tmp_path / "b")
        assert first.read_bytes() == second.read_bytes()


def cell(value, costs, starts=None, stopped=None):
    from reportgen.training.results import RunMetrics

    outcomes = []
    for index, cost in enumerate(costs):
        start = 1.0 if starts is None else starts[index]
        curve = np.array([start, (start + cost) / 2, cost])
        outcomes.append(RunMetrics(arrays={"train_cost_logged": curve}, diverged_epoch=(stopped or [0] * len(costs))[index]))
    return sweep_analysis._cell(value, outcomes)


def test_cells_are_classified_diverged_no_progress_or_converged():
    mixed = cell(0.1, [0.2, 0.95, 3.0, math.nan], stopped=[0, 0, 0, 2])
    assert mixed.status == ["converged", "no progress", "diverged", "diverged"]
    assert mixed.diverged_epoch == [0, 0, 2, 2]
    assert mixed.median_cost == math.inf  # two of four seeds diverged: they count as infinitely bad


def test_robust_range_is_the_contiguous_run_within_ten_percent_of_the_best():
    medians = [1.0, 0.3, 0.105, 0.1, 0.108, 0.5, 0.109]
    cells = [cell(10.0 ** (index - 6), [cost]) for index, cost in enumerate(medians)]
    assert sweep_analysis._robust_range(cells, 3) == (2, 4)  # 0.109 at the end is not joined across 0.5


def test_near_zero_costs_count_as_equal_within_one_percent_of_the_start():
    medians = [0.5, 0.009, 1e-6, 1e-9, 1e-11, 0.02]  # from a start of 1.0: the floor is 0.01
    cells = [cell(10.0 ** (index - 6), [cost]) for index, cost in enumerate(medians)]
    assert sweep_analysis._robust_range(cells, 4) == (1, 4)


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory):
    # a low divergence threshold stops the runs whose weights blow up, as a long run would
    plan = sweep_plan.plan(tiny(epochs=6, divergence_threshold=50.0), {"lr": "1e-3:1e1:5", "methods": ["sgd", "adam"], "seeds": 2})
    return sweep_run.run_sweep(plan, ResultStore(tmp_path_factory.mktemp("store")), executors.InProcessExecutor(), quiet=True).analysis


def test_analysis_of_a_real_sweep_states_best_robust_range_and_tuned_vs_default(real_sweep):
    result = real_sweep
    sgd, adam = result.series
    for series in result.series:
        medians = [c.median_cost for c in series.cells]
        assert series.best.median_cost == min(medians)
        assert series.best.median_cost <= series.default.median_cost
        assert series.tuned_ratio == pytest.approx(series.default.median_cost / series.best.median_cost)
        low, high = series.values.index(series.robust_low), series.values.index(series.robust_high)
        floor = 0.01 * float(np.median(series.best.start_cost))
        assert all(m <= series.best.median_cost + max(0.1 * series.best.median_cost, floor) for m in medians[low : high + 1])
        assert series.robust_decades == pytest.approx(math.log10(series.robust_high / series.robust_low))
    # on this tiny net adam blows up at lr 10 while sgd at 0.001 barely moves
    assert adam.cells[-1].status == ["diverged", "diverged"] and all(epoch > 0 for epoch in adam.cells[-1].diverged_epoch)
    assert sgd.cells[0].status == ["no progress", "no progress"]
    assert sgd.default.value == 0.05 and sgd.tuned_wins == 2 and sgd.tuned_ratio > 1

    drawn = sweep_figures.draw_all([result])
    assert [figure.slug for figure in drawn] == ["tiny-sweep-cost", "tiny-sweep-stability", "tiny-sweep-robustness"]
    assert all(figure.section == "sweep" and figure.svg.startswith("<svg") and figure.png[:4] == b"\x89PNG" for figure in drawn)
    assert [figure.svg for figure in sweep_figures.draw_all([result])] == [figure.svg for figure in drawn]  # deterministic


def test_the_command_line_checks_sweep_flags_and_executor_choices(tmp_path, capsys):
    assert cli.main(["sweep", "--preset", "textbook", "--lr-grid", "1e-1:1e-4:5", "--out", str(tmp_path)]) == 2
    assert "--lr-grid: '1e-1:1e-4:5': expected 0 < LOW < HIGH" in capsys.readouterr().err
    assert cli.main(["sweep", "--preset", "textbook", "--out", str(tmp_path)]) == 2
    assert "sweep.lr: required" in capsys.readouterr().err
    assert cli.main(["run", "--preset", "textbook", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path)]) == 2
    assert "--scheduler: a scheduler address needs the dask executor" in capsys.readouterr().err


def test_an_executor_table_is_checked():
    assert executors.settings({"kind": "dask", "scheduler": "tcp://10.0.0.5:8786"}) == {"kind": "dask", "scheduler": "tcp://10.0.0.5:8786"}
    with pytest.raises(ConfigError, match=r"executor\.kind: 'cluster' is not one of"):
        executors.settings({"kind": "cluster"})
    with pytest.raises(ConfigError, match=r"executor\.address: unknown key"):
        executors.settings({"address": "x"})


def test_a_sweep_from_a_config_file_runs_end_to_end_on_the_command_line(tmp_path, monkeypatch, capsys):
    drawn = {}
    monkeypatch.setattr(
        "reportgen.report.render.render",
        lambda result_sets, analysis, out, verification, command, sweeps, figure_cache_dir, executor: drawn.update(sweeps=sweeps, command=command),
    )
    path = tmp_path / "tiny.toml"
    path.write_text(
        'name = "tiny"\n[data]\nn_train = 8\nn_test = 4\n[network]\nhidden = [6, 3]\n'
        "[training]\nepochs = 3\nseeds = [678]\nrecord_timings = false\n"
        "[methods.sgd]\nlr = 0.05\n[methods.adam]\nlr = 0.01\n"
        '[sweep]\nlr = "1e-3:1e-1:3"\nseeds = 2\n[executor]\nkind = "inprocess"\n'
    )
    assert cli.main(["sweep", "--config", str(path), "--methods", "adam", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    [result] = drawn["sweeps"]
    assert [series.method for series in result.series] == ["adam"] and result.seeds == [678, 0]
    assert drawn["command"] == f"reportgen sweep --config {path} --methods adam"

    # render never trains: it analyses the stored cells of the config's own [sweep] (both methods)
    assert cli.main(["render", "--config", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "tiny sweep: 8 of 14 cell runs are not stored" in capsys.readouterr().err
    assert cli.main(["sweep", "--config", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    swept = drawn["sweeps"]
    assert cli.main(["render", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    assert drawn["sweeps"] == swept and [series.method for series in swept[0].series] == ["sgd", "adam"]


def test_the_report_shows_the_sweep_in_html_and_markdown(real_sweep, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "draw_all", lambda *arguments: [])  # the main figures are not under test here
    with executors.create("process", 2) as pool:  # as a build draws them
        render_report(list(make_pair(epochs=6)), tmp_path, sweeps=[real_sweep], executor=pool)
    html, markdown = (tmp_path / "index.html").read_text(), (tmp_path / "report.md").read_text()
    section = html[html.index('<h2 id="learning-rate-sensitivity">') : html.index('<h2 id="references">')]
    sgd, adam = real_sweep.series
    assert '<h3 id="sweep-tiny">Sweep of tiny<a class="permalink" href="#sweep-tiny"' in section
    assert f"<td>{adam.title}</td>" in section and f"{number(adam.best.value, 3)} ({number(adam.best.median_cost)})" in section
    assert f"{sgd.tuned_wins} of 2 seeds" in section
    for kind in ("cost", "stability", "robustness"):
        assert f'id="figure-tiny-sweep-{kind}"' in section
        assert f"](figures/tiny-sweep-{kind}.png)" in markdown
        assert (tmp_path / "figures" / f"tiny-sweep-{kind}.svg").read_text().startswith(f'<svg id="tiny-sweep-{kind}"')
    markdown = markdown[markdown.index("## Learning-rate sensitivity") : markdown.index("## References")]
    rows = [line for line in markdown.splitlines() if line.startswith(("| a | Stochastic", "| g | Adam"))]
    assert len(rows) == 2 and all(line.count(" | ") == 7 for line in rows)  # eight cells, none split
    # without a sweep the section is not there at all
    render_report(list(make_pair(epochs=6)), tmp_path / "plain")
    assert "learning-rate-sensitivity" not in (tmp_path / "plain" / "index.html").read_text()


def test_the_sweep_figures_name_every_drawing_on_hover_and_fit_the_page(real_sweep):
    for figure in sweep_figures.draw_all([real_sweep]):
        count, unnamed = unnamed_drawings(figure.svg)
        assert count and unnamed == [], (figure.slug, unnamed[:3])
        width = float(re.search(r'<svg[^>]* width="([0-9.]+)pt"', figure.svg)[1])
        assert width == pytest.approx(72 * drawing.WIDTH, abs=1), figure.slug  # the page's figure width: legends readable on a phone
        assert f"{real_sweep.series[0].letter}. {real_sweep.series[0].title}, learning rate" in figure.svg
