"""Methods trained on the suite's problems: known optima reached, paths recorded, the same bits both engines."""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib

import numpy as np
import pytest

from reportgen import cli, config, data, optimizers, problems
from reportgen.errors import ConfigError
from reportgen.sweep import plan as sweep_plan
from reportgen.sweep import tune
from reportgen.sweep.run import run_sweep
from reportgen.training import executors, runner
from reportgen.training.results import MethodSpec
from reportgen.training.store import ResultStore
from reportgen.training.tasks import RunSpec
from reportgen.training.trainer import train_one


def spec(problem: str, method: str, epochs: int, options: dict | None = None, seed: int = 0, **hyperparams) -> RunSpec:
    resolved = optimizers.create(method, "textbook", **hyperparams).hyperparams
    return RunSpec(
        MethodSpec(method, optimizers.LETTERS[method], "textbook", resolved), seed=seed, epochs=epochs,
        problem=problem, problem_options=tuple(sorted((options or {}).items())), record_timings=False,
    )  # fmt: skip


def test_adam_reaches_the_rosenbrock_minimum_and_its_path_is_recorded():
    run = train_one(spec("rosenbrock", "adam", 2500, lr=0.05), None)
    assert run.diverged_epoch == 0
    assert run.arrays["distance"][-1] < 1e-3 and run.arrays["suboptimality"][-1] < 1e-6
    path = run.arrays["path"]
    assert path.shape == (2500, 1, 2)  # epoch, step of the epoch, (x, y): one step per epoch
    assert np.linalg.norm(path[-1, -1] - [1.0, 1.0]) == pytest.approx(run.arrays["distance"][-1], rel=1e-12)
    # the epoch's loss as the step saw it is the loss at the point before the step
    rosenbrock = problems.create("rosenbrock")
    assert run.arrays["train_cost_logged"][0] == pytest.approx(rosenbrock.value(np.array([-1.2, 1.0])), rel=1e-12)
    assert run.arrays["train_cost_logged"][10] == pytest.approx(rosenbrock.value(path[9, 0]), rel=1e-12)
    assert set(run.arrays) == set(spec("rosenbrock", "adam", 1).metrics)  # what the store checks a run against


def test_momentum_reaches_the_quadratic_minimum_without_noise():
    run = train_one(spec("noisy-quadratic", "momentum", 1000, {"sigma": 0.0}, lr=1.0), None)
    assert run.arrays["distance"][-1] < 1e-3
    assert "path" not in run.arrays  # 100 parameters: no surface to draw it on


def test_gradient_noise_comes_from_the_seed():
    noisy = {"sigma": 1.0}
    first, again = (train_one(spec("rosenbrock", "sgd", 300, noisy, seed=3, lr=1e-3), None) for _ in range(2))
    other = train_one(spec("rosenbrock", "sgd", 300, noisy, seed=4, lr=1e-3), None)
    assert first.arrays["path"].tobytes() == again.arrays["path"].tobytes() and np.isfinite(first.arrays["path"]).all()
    assert first.arrays["path"].tobytes() != other.arrays["path"].tobytes()
    exact = train_one(spec("rosenbrock", "sgd", 300, seed=3, lr=1e-3), None)
    assert exact.arrays["path"].tobytes() == train_one(spec("rosenbrock", "sgd", 300, seed=4, lr=1e-3), None).arrays["path"].tobytes()


def test_a_run_that_blows_up_stops_as_diverged():
    run = train_one(spec("rosenbrock", "sgd", 50, lr=1.0), None)
    assert 0 < run.diverged_epoch <= 50 and run.divergence_reason
    assert np.isnan(run.arrays["distance"][run.diverged_epoch - 1 :]).all()
    assert np.isfinite(run.arrays["distance"][: run.diverged_epoch - 1]).all()
    assert np.isnan(run.arrays["path"][run.diverged_epoch - 1 :]).all() and run.arrays["path"].shape == (50, 1, 2)


@pytest.mark.parametrize("method", ["adam", "nadam", "rmsprop", "nesterov", "adagrad", "noise_training", "schedule_free_adamw"])
def test_both_engines_give_the_same_bits_on_a_problem(method):
    run = spec("noisy-quadratic", method, 40, {"sigma": 0.5})
    fused, plain = train_one(run, None), train_one(dataclasses.replace(run, engine="numpy"), None)
    assert fused.diverged_epoch == plain.diverged_epoch
    for name, values in plain.arrays.items():
        assert fused.arrays[name].tobytes() == values.tobytes(), name


def test_softmax_regression_learns_the_ten_digits_of_the_embedded_sample():
    digits = data.load_digits(train_per_digit=100, test_per_digit=30)
    run = train_one(dataclasses.replace(spec("digits-softmax", "sgd", 8, lr=0.5), batch_size=32), digits)
    assert run.diverged_epoch == 0
    assert run.arrays["test_accuracy"][-1] >= 0.8  # chance is 0.1
    assert run.arrays["train_cost_mean"][-1] < run.arrays["train_cost_mean"][0]


def test_a_problem_run_goes_through_the_store_and_back(tmp_path):
    run_spec = spec("beale", "adam", 30, lr=0.05)
    run = train_one(run_spec, None)
    store = ResultStore(tmp_path)
    store.save_run(tmp_path, run_spec, run)
    back = store.load_run(tmp_path, run_spec)
    assert back is not None and set(back.arrays) == set(run.arrays)
    assert all(back.arrays[name].tobytes() == values.tobytes() for name, values in run.arrays.items())
    assert store.load_run(tmp_path, dataclasses.replace(run_spec, epochs=31)) is None  # another run: trained again


ROSENBROCK_EXPERIMENT = """
name = "rosenbrock-adam"
[problem]
name = "rosenbrock"
options = { sigma = 0.1 }
[training]
epochs = 2000
seeds = [1, 2]
record_timings = false
[methods.sgd]
lr = 1e-3
[methods.adam]
lr = 0.05
"""


def test_an_experiment_on_a_problem_trains_stores_reuses_and_sweeps(tmp_path):
    experiment = config.validate(tomllib.loads(ROSENBROCK_EXPERIMENT), "test")
    store, executor = ResultStore(tmp_path), executors.create("inprocess")
    first = runner.run_experiment(experiment, store, executor, quiet=True)
    assert first.trained == 4 and first.reused == 0
    arrays = first.result_set.arrays
    assert arrays["distance"].shape == (2, 2, 2000) and arrays["path"].shape == (2, 2, 2000, 1, 2)
    adam = [method.name for method in experiment.methods].index("adam")
    assert np.all(arrays["distance"][adam, :, -1] < 0.1)
    again = runner.run_experiment(experiment, store, executor, quiet=True)
    assert again.trained == 0 and again.result_set.arrays["path"].tobytes() == arrays["path"].tobytes()
    planned = sweep_plan.plan(experiment, {"lr": "1e-3:1e-1:3", "methods": ["adam"], "seeds": [1]})
    sweep = run_sweep(planned, store, executor, quiet=True)
    assert sweep.trained == 4  # the grid's three learning rates and the experiment's own, 0.05
    assert run_sweep(planned, store, executor, quiet=True).trained == 0  # a rerun trains nothing that is stored


@pytest.mark.parametrize(
    "text, message",
    [
        ('[problem]\nname = "rosenbrok"', "did you mean 'rosenbrock'"),
        ('[problem]\nname = "rosenbrock"\noptions = { sigmaa = 1 }', "unknown option 'sigmaa'"),
        ('[problem]\nname = "rosenbrock"\n[network]\nhidden = [4, 4]', "network: problem rosenbrock has no [network] table"),
        ('[problem]\nname = "beale"\n[data]\nn_train = 5', "data: problem beale has no [data] table"),
        ('[problem]\nname = "digits-softmax"\n[data]\ntest_per_digit = 5', "data.train_per_digit: required"),
        ('[problem]\nname = "mnist01-mlp"\noptions = { sigma = 1 }', "problem.options: mnist01-mlp takes its settings"),
    ],
)
def test_a_bad_problem_table_is_one_line(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.validate(tomllib.loads(text + "\n[methods.sgd]\n"), "test")


def test_the_command_line_trains_a_problem_and_its_site_needs_the_baselines(tmp_path, capsys):
    path = tmp_path / "rosenbrock.toml"
    path.write_text(ROSENBROCK_EXPERIMENT.replace("epochs = 2000", "epochs = 20"), encoding="utf-8")
    assert cli.main(["run", "--config", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert "rosenbrock-adam: trained 4 runs" in capsys.readouterr().err  # progress and summaries go to stderr
    assert cli.main(["build", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    message = "reportgen: error: rosenbrock-adam: a site's targets and speed-ups need sgd, momentum, adam among its methods; add [methods.momentum]\n"
    assert capsys.readouterr().err == message  # before anything trains or renders


SUITE = """
name = "mini"
[training]
seeds = [1, 2]
record_timings = false
[methods.sgd]
lr = 0.01
[methods.adam]
lr = 0.05
[problems.rosenbrock]
epochs = 30
options = { sigma = 0.1 }
[problems.noisy-quadratic]
epochs = 20
options = { d = 10 }
[problems.digits-softmax]
epochs = 2
batch_size = 50
data = { train_per_digit = 20, test_per_digit = 10 }
"""


def test_a_suite_file_is_one_experiment_per_problem_and_trains_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "mini.toml"
    path.write_text(SUITE, encoding="utf-8")
    experiments = config.load_all(path)
    assert [e.name for e in experiments] == ["mini-rosenbrock", "mini-noisy-quadratic", "mini-digits-softmax"]
    assert [e.config["training"]["epochs"] for e in experiments] == [30, 20, 2]
    assert experiments[2].config["training"]["batch_size"] == 50 and experiments[0].config["training"]["batch_size"] == 1
    assert experiments[1].config["problem"] == {"name": "noisy-quadratic", "options": {"d": 10}}
    assert all(e.seeds == [1, 2] and [m.name for m in e.methods] == ["sgd", "adam"] for e in experiments)
    assert cli.main(["run", "--config", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().err
    assert all(f"mini-{problem}: trained 4 runs" in printed for problem in ("rosenbrock", "noisy-quadratic", "digits-softmax"))
    with pytest.raises(ConfigError, match="a suite of 3 experiments where one was expected"):
        config.load(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[problems.rosenbrock]\nepoch = 3", "problems.rosenbrock.epoch: unknown key (did you mean 'epochs'?)"),
        ('[problem]\nname = "beale"\n[problems.rosenbrock]', "problems: a suite names each problem in its own [problems.NAME] table"),
        ("[problems.rosenbrok]", "did you mean 'rosenbrock'"),
    ],
)
def test_a_bad_suite_is_one_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n[methods.sgd]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.load_all(path)


def test_a_suite_tunes_each_method_per_problem_on_its_own_seeds_then_runs_the_tuned_rates(tmp_path, capsys):
    path = tmp_path / "tuned.toml"
    path.write_text(
        SUITE.split("[problems.noisy-quadratic]")[0] + '[tuning]\nlr = "1e-3:1e-1:3"\nseeds = [101]\n', encoding="utf-8"
    )  # fmt: skip
    (experiment,) = config.load_all(path)
    store, executor = ResultStore(tmp_path / "results"), executors.create("inprocess")
    (tuned,), (tuning,) = tune.tune_all([experiment], store, executor, quiet=True)
    assert tuned is tuning.experiment and tuning.metric == "suboptimality"
    swept = run_sweep(tune.check(experiment, experiment.tuning), store, executor, only_stored=True)  # the runs it chose from, reloaded
    assert tuning.trained == 3 + 4  # the three grid values per method and Adam's own 0.05 (SGD's 0.01 is on the grid), one seed
    grid = (1e-3, 1e-2, 1e-1)
    for method in tuned.methods:  # the grid value whose run reached the lowest suboptimality, Rosenbrock's target
        bests = {lr: np.nanmin(swept.runs[sweep_plan.cell_name(dataclasses.replace(method, hyperparams={**method.hyperparams, "lr": lr})), 101].arrays["suboptimality"]) for lr in grid}
        assert method.hyperparams["lr"] == min(bests, key=bests.get)
        assert tuned.config["methods"][method.name]["lr"] == method.hyperparams["lr"]
    assert [m.hyperparams["lr"] for m in tuned.methods] != [m.hyperparams["lr"] for m in experiment.methods]
    assert cli.main(["run", "--config", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().err
    assert re.search(r"mini-rosenbrock tuning: trained 7 runs, reused 0 in [0-9.]+ s; lr sgd [0-9.e-]+\*?, adam [0-9.e-]+\*?", printed)
    assert "mini-rosenbrock: trained 4 runs" in printed  # the tuned methods on the experiment's two seeds
    with pytest.raises(ConfigError, match=r"tuning.seeds: \[1\] are also the experiment's"):
        tune.check(experiment, {"lr": "1e-3:1e-1:3", "seeds": [1, 101]})


def test_the_suite_preset_is_six_problems_with_tuning_and_five_seeds():
    experiments = config.load_preset_all("suite")
    assert [e.config["problem"]["name"] for e in experiments] == [
        "rosenbrock", "beale", "noisy-quadratic", "digits-softmax", "digits-mlp", "mnist01-mlp"
    ]  # fmt: skip
    assert all(len(e.seeds) >= 5 and e.tuning and not set(e.seeds) & set(e.tuning["seeds"]) for e in experiments)
    assert len({tuple(m.name for m in e.methods) for e in experiments}) == 1  # the same methods on every problem
    with pytest.raises(ConfigError, match="preset suite: a suite of 6 experiments where one was expected"):
        config.load_preset("suite")


def test_a_path_that_diverges_in_its_first_epoch_keeps_its_shape():
    run = train_one(spec("rosenbrock", "sgd", 5, {"steps_per_epoch": 50}, lr=1.0), None)
    assert run.diverged_epoch == 1 and run.arrays["path"].shape == (5, 50, 2) and np.isnan(run.arrays["path"]).all()


def test_tuning_chooses_on_the_target_metric_and_keeps_a_method_with_nothing_finite():
    from reportgen.sweep.plan import Axis
    from reportgen.training.results import RunMetrics

    method = MethodSpec("sgd", "a", "textbook", optimizers.create("sgd", "textbook").hyperparams)
    axis = Axis(method, "lr", (0.01, 0.1, 1.0))
    curves = {0.01: [3.0, 2.0], 0.1: [5.0, 0.5], 1.0: [np.nan, np.inf]}  # the best value of a run, not its last, counts
    runs = {(sweep_plan.cell_name(axis.with_value(lr)), seed): RunMetrics({"distance": np.array(curve) + seed}) for lr, curve in curves.items() for seed in (7, 8)}
    chosen = tune.method_tuning(axis, (7, 8), runs, "distance")
    assert chosen.chosen == 0.1 and not chosen.at_edge and chosen.medians == (9.5, 8.0, math.inf)  # each run's best plus its seed, 7 or 8
    nothing = {key: RunMetrics({"distance": np.array([np.nan, np.nan])}) for key in runs}
    assert tune.method_tuning(axis, (7, 8), nothing, "distance").chosen is None
    edge = {key: RunMetrics({"distance": np.array([1.0]) if key[0] == sweep_plan.cell_name(axis.with_value(1.0)) else np.array([2.0])}) for key in runs}
    assert tune.method_tuning(axis, (7, 8), edge, "distance").at_edge
    # Two rates reach the least target (1e-6): the one whose runs get there first wins, not the deeper or smaller one.
    deep = {0.01: [1.0, 1e-9, 1e-12], 0.1: [1e-7, 1e-8, 1e-8], 1.0: [np.nan, np.nan, np.nan]}
    floored = {(sweep_plan.cell_name(axis.with_value(lr)), seed): RunMetrics({"distance": np.array(curve)}) for lr, curve in deep.items() for seed in (7, 8)}
    chosen = tune.method_tuning(axis, (7, 8), floored, "distance", 1e-6)
    assert chosen.chosen == 0.1 and chosen.medians == (1e-6, 1e-6, math.inf)
    assert tune.method_tuning(axis, (7, 8), floored, "distance").chosen == 0.01  # without the floor: the deepest


def test_a_method_that_cannot_take_a_problems_shapes_is_refused_before_anything_trains():
    text = '[problem]\nname = "rosenbrock"\n[methods.adam]\n[methods.muon]\n'
    message = "methods.muon: cannot train problem rosenbrock: muon orthogonalises 2-D weight matrices only; got a weight of shape (2,)"
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.validate(tomllib.loads(text), "test")
