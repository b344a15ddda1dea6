"""Problems from outside reportgen: a factory in a plugin file (or an installed entry point) trains like a built-in
problem, from the command line, in worker processes and in suites; a bad one stops the command with one line naming
the file and the fault, exit code 2, and nothing written.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import re
import shutil
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import harness

from reportgen import cli, config, problems
from reportgen.errors import ConfigError
from reportgen.problems import plugins
from reportgen.sweep import tune
from reportgen.training import runner, step_cost
from reportgen.training.store import ResultStore
from reportgen.training.trainer import train_one
from reportgen.verification import problem_gradients

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "three_hump_camel.py"
LOCAL_MINIMUM = np.array([-np.sqrt((4.2 + np.sqrt(3.64)) / 2), np.sqrt((4.2 + np.sqrt(3.64)) / 2) / 2])
BOWL = '''\
import numpy as np


class Bowl:
    """f(x) = |x|^2 on a noisy batch, written out without reportgen's Synthetic."""

    title = "Bowl"
    metrics = ("train_cost_mean", "distance")
    target = "distance"
    target_floor = 0.0
    optimum = [np.zeros(2)]
    steps_per_epoch = 2

    def initial_params(self, seed):
        return [np.array([1.0, -2.0])]

    def batches(self, data, batch_size, rng):
        for _ in range(self.steps_per_epoch):
            yield 0.1 * rng.standard_normal(2)

    def loss_and_grads(self, params, batch):
        (x,) = params
        return float(x @ x + x @ batch), [2.0 * x + batch]

    def evaluate(self, params, data):
        (x,) = params
        return {"train_cost_mean": float(x @ x), "distance": float(np.linalg.norm(x))}


def bowl():
    return Bowl()
'''
CAMEL_EXPERIMENT = """
name = "camel"
[problem]
plugin = "plugins/three_hump_camel.py:three_hump_camel"
[training]
epochs = 300
seeds = [1, 2]
record_timings = false
[methods.sgd]
lr = 0.05
[methods.adam]
lr = 0.05
"""


def _plugin_experiment(root: Path, source: str, problem_table: str = 'plugin = "bowl.py:bowl"', extra: str = "") -> Path:
    (root / "bowl.py").write_text(source, encoding="utf-8")
    path = root / "bowl.toml"
    path.write_text(f'name = "bowl"\n[problem]\n{problem_table}\n[training]\nepochs = 5\nseeds = [1]\n[methods.sgd]\nlr = 0.1\n{extra}', encoding="utf-8")
    return path


def _camel(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "plugins" / "three_hump_camel.py")
    toml = tmp_path / "camel.toml"
    toml.write_text(CAMEL_EXPERIMENT, encoding="utf-8")
    return toml


@pytest.mark.slow  # a real process
def test_the_example_plugin_trains_from_the_command_line_and_an_edit_retrains(tmp_path, capsys):
    toml, out = _camel(tmp_path), tmp_path / "out"
    done = harness.run_process("run", "--config", toml, "--out", out, "--workers", "2", "--quiet", cwd=tmp_path)  # a fork pool
    assert done.returncode == 0, done.stderr
    experiment = config.load(toml)
    stored = runner.stored(experiment, ResultStore(out / "results"))
    assert stored is not None and stored.config["problem"]["name"] == "three_hump_camel"  # the factory's name by default
    assert stored.config["problem"]["plugin"]["sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    arrays, sgd = stored.arrays, [method.name for method in experiment.methods].index("sgd")
    assert arrays["suboptimality"].shape == (2, 2, 300) and arrays["path"].shape == (2, 2, 300, 1, 2)
    point = np.array([-1.5, -1.5])  # plain gradient descent by hand: w <- w - lr grad f(w), one step an epoch
    for _ in range(300):
        x, y = point
        point = point - 0.05 * np.array([4.0 * x - 4.2 * x**3 + x**5 + y, x + 2.0 * y])
    np.testing.assert_allclose(arrays["path"][sgd, :, -1, 0], [point, point], rtol=1e-12)
    np.testing.assert_allclose(point, LOCAL_MINIMUM, atol=1e-6)  # the valley the example's docstring says it settles in
    assert arrays["suboptimality"][sgd, 0, -1] == pytest.approx(0.2986, abs=1e-4)
    assert cli.main(["run", "--config", str(toml), "--out", str(out), "--workers", "1"]) == 0
    assert "camel: reused 4 stored runs" in capsys.readouterr().err
    plugin = tmp_path / "plugins" / "three_hump_camel.py"
    plugin.write_text(plugin.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cli.main(["run", "--config", str(toml), "--out", str(out), "--workers", "1"]) == 0
    assert "camel: trained 4 runs" in capsys.readouterr().err  # the file's SHA-256 is in the cache key


def test_the_cache_key_has_the_plugin_code_not_where_it_sits(tmp_path):
    toml = _camel(tmp_path)
    numeric = config.load(toml).numeric_config()
    assert numeric["problem"]["plugin"] == {"builder": "three_hump_camel", "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()}
    moved = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "plugins", moved / "plugins")
    shutil.copy(toml, moved / "camel.toml")
    assert config.load(moved / "camel.toml").numeric_config() == numeric


@pytest.mark.slow  # a real process
def test_a_worker_process_loads_the_plugin_again_and_refuses_an_edited_file(tmp_path):
    spec = config.load(_camel(tmp_path)).run_specs()[0]
    here = train_one(spec, runner.NoData())
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh interpreter, as a Dask worker is
        there = pool.apply(train_one, (spec, runner.NoData()))
    assert there.arrays["path"].tobytes() == here.arrays["path"].tobytes()
    plugin = tmp_path / "plugins" / "three_hump_camel.py"
    plugin.write_text(plugin.read_text(encoding="utf-8") + "\n# edited after the experiment was read\n", encoding="utf-8")
    plugins._FACTORIES.clear()  # as in a worker process
    with pytest.raises(ConfigError, match="three_hump_camel.py:three_hump_camel: the file changed since the experiment was read"):
        spec.create_problem()


def test_the_example_plugin_passes_the_finite_difference_gradient_check():
    source = plugins.from_reference(f"{EXAMPLE}:three_hump_camel", None)
    problem = problems.create("camel", source, sigma=0.5)
    rng = np.random.default_rng(7)
    for point in ([-1.5, -1.5], [0.3, -0.8], LOCAL_MINIMUM + 0.1, rng.uniform(-2, 2, 2)):
        for batch in problem.batches(None, 4, rng):  # noise and all: the batch's loss is one function of the point
            assert max(problem_gradients.relative_errors(problem, [np.array(point, dtype=float)], batch)) <= problem_gradients.TOLERANCE
    exact = problems.create("camel", source)
    assert exact.value(np.zeros(2)) == 0.0 and exact.value(LOCAL_MINIMUM) == pytest.approx(0.2986, abs=1e-4)
    np.testing.assert_allclose(exact.gradient(LOCAL_MINIMUM), 0.0, atol=1e-12)


def test_a_plugin_problem_need_not_subclass_synthetic_and_tuning_reads_its_target(tmp_path):
    experiment = config.load(_plugin_experiment(tmp_path, BOWL, 'plugin = "bowl.py:bowl"\nname = "my-bowl"'))
    assert experiment.config["problem"]["name"] == "my-bowl" and tune.target_metric(experiment)[0] == "distance"
    spec = experiment.run_specs()[0]
    assert spec.file_name == "my-bowl--sgd--textbook--1.npz"
    run = train_one(spec, runner.NoData())
    assert run.arrays["path"].shape == (5, 2, 2)  # two steps an epoch, as its steps_per_epoch says
    # each step x <- x - 0.1 (2x + b) = 0.8x - 0.01b, b ~ 0.1 N(0, I): ten steps from |x| = sqrt(5), up to the noise
    assert run.arrays["distance"][-1] == pytest.approx(0.8**10 * np.sqrt(5.0), abs=0.01)


def test_a_suite_takes_a_plugin_problem_beside_the_built_ins(tmp_path):
    toml = _camel(tmp_path)
    toml.write_text(
        'name = "mini"\n[training]\nseeds = [1]\n[methods.sgd]\n[problems.rosenbrock]\nepochs = 3\n'
        '[problems.camel]\nplugin = "plugins/three_hump_camel.py:three_hump_camel"\noptions = { sigma = 0.1 }\nepochs = 4\n',
        encoding="utf-8",
    )  # fmt: skip
    rosenbrock, camel = config.load_all(toml)
    assert "plugin" not in rosenbrock.config["problem"] and camel.config["problem"]["name"] == "camel"
    assert camel.config["problem"]["options"] == {"sigma": 0.1} and camel.config["training"]["epochs"] == 4
    assert problems.from_table(camel.config["problem"]).title == "Three-hump camel, gradient noise sigma = 0.1"


def test_a_plugin_problem_is_timed_on_whole_epochs_of_its_own(tmp_path):
    """Its factory need not take steps_per_epoch, which the step-cost runs of a built-in synthetic problem set."""
    experiment = config.load(_plugin_experiment(tmp_path, BOWL, extra="[methods.adam]\n"))
    measured = step_cost.measure(experiment.run_specs()[0], runner.NoData(), experiment.methods, rounds=1, seconds=1e-9)
    assert measured.steps == 4  # the least, MIN_STEPS = 5, down to whole epochs of its two steps
    assert all(math.isfinite(cost.seconds) and cost.seconds > 0 for cost in measured.methods.values())


@pytest.mark.slow  # the site draws its figures in a process pool
def test_a_suite_site_draws_a_plugin_problem_on_its_contour_map_when_it_gives_its_surface(tmp_path, capsys):
    toml = _camel(tmp_path)
    (tmp_path / "plugins" / "bowl.py").write_text(BOWL, encoding="utf-8")
    (tmp_path / "plugins" / "surfaced.py").write_text(SURFACED, encoding="utf-8")
    toml.write_text(
        'name = "mini"\n[training]\nseeds = [1, 2, 3, 4, 5]\nepochs = 30\n[methods.sgd]\nlr = 0.05\n[methods.momentum]\nlr = 0.02\n[methods.adam]\nlr = 0.05\n'
        '[problems.camel]\nplugin = "plugins/three_hump_camel.py:three_hump_camel"\n'
        '[problems.bowl]\nplugin = "plugins/bowl.py:bowl"\n[problems.surfaced]\nplugin = "plugins/surfaced.py:bowl"\n',
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path / "out"
    assert cli.main(["build", "--config", str(toml), "--out", str(out), "--workers", "2", "--quiet"]) == 0, capsys.readouterr().err
    figures = {path.name for path in (out / "mini" / "figures").glob("*.svg")}
    assert {"camel-paths.svg", "camel-distance.svg", "surfaced-paths.svg"} <= figures
    assert "bowl-metric.svg" in figures and not any(name.startswith("bowl-paths") for name in figures)  # no start, minimiser nor f given
    assert "Three-hump camel" in (out / "mini" / "problems" / "camel.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("value", "error"), [("bowl_pkg:bowl", None), ("bowl_pkg", "entry point 'bowl' (bowl_pkg): names a module, not a function; expected module:function")])
def test_an_installed_entry_point_is_a_problem_by_its_name(tmp_path, monkeypatch, value, error):
    site = tmp_path / "site"
    (site / "bowl_pkg").mkdir(parents=True)
    (site / "bowl_pkg" / "__init__.py").write_text(BOWL, encoding="utf-8")
    info = site / "bowl_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bowl_pkg\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[reportgen.problems]\nbowl = {value}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    if error:
        with pytest.raises(ConfigError, match=re.escape(error)):
            config.validate(tomllib.loads('[problem]\nname = "bowl"\n[methods.sgd]\n'), "test")
        return
    experiment = config.validate(tomllib.loads('[problem]\nname = "bowl"\n[methods.sgd]\n'), "test")
    assert experiment.config["problem"]["plugin"]["entry_point"] == "bowl"
    assert experiment.run_specs()[0].create_problem().title == "Bowl"
    sys.modules.pop("bowl_pkg", None)


def _fault(old: str, new: str) -> str:
    assert old in BOWL, old
    return BOWL.replace(old, new)


SURFACED = _fault('    title = "Bowl"\n', '    title = "Bowl"\n    start, minimiser = np.array([1.0, -2.0]), np.zeros(2)\n    value = staticmethod(lambda point: (point**2).sum(axis=0))\n')
BAD_PLUGINS = {
    "missing file": (None, "", r"plugin bowl.py:bowl: no such file .*bowl.py$"),
    "syntax error": ("def bowl(:\n", "", r"bowl.py:bowl: import failed: SyntaxError"),
    "no such factory": (_fault("def bowl():", "def bowel():"), "", r"defines no 'bowl' \(did you mean 'bowel'\?\)"),
    "not callable": (_fault("def bowl():\n    return Bowl()", "bowl = 3"), "", "bowl = 3 is not a function that makes a problem"),
    "factory raises": (_fault("    return Bowl()", "    raise RuntimeError('no data\\nhere')"), "", r"calling it with options \{\} failed: RuntimeError: no data$"),
    "unknown option": (BOWL, "options = { scale = 2 }", r"unknown option 'scale' \(options: none\)"),
    "wrong return type": (_fault("    return Bowl()", "    return {'title': 'Bowl'}"), "", "it must return a problem .* got a dict"),
    "missing attribute": (_fault('    target_floor = 0.0\n', ""), "", "the problem it returns has no target_floor$"),
    "no title": (_fault('title = "Bowl"', 'title = ""'), "", "its title must be text"),
    "property raises": (_fault('    title = "Bowl"', "    title = property(lambda self: 1 / 0)"), "", "reading its title raised ZeroDivisionError"),
    "target not a metric": (_fault('target = "distance"', 'target = "accuracy"'), "", r"its target 'accuracy' is not one of its metrics \(train_cost_mean, distance\)"),
    "metric the engine records": (_fault('("train_cost_mean", "distance")', '("epoch_seconds", "distance")'), "", "the engine records epoch_seconds itself"),
    "negative target floor": (_fault("target_floor = 0.0", "target_floor = -1"), "", "its target_floor must be a number >= 0, got -1"),
    "no steps": (_fault("steps_per_epoch = 2", "steps_per_epoch = 0"), "", "its steps_per_epoch must be a whole number >= 1, got 0"),
    "integer parameters": (_fault("np.array([1.0, -2.0])", "np.array([1, -2])"), "", r"initial_params\(0\) must return a list of float arrays, got a list of arrays \[int64 \(2,\)\]"),
    "bare array": (_fault("return [np.array([1.0, -2.0])]", "return np.array([1.0, -2.0])"), "", r"must return a list of float arrays, got a ndarray"),
    "optimum misshapen": (_fault("optimum = [np.zeros(2)]", "optimum = [np.zeros(3)]"), "", r"its optimum must be None or arrays shaped as the parameters \[\(2,\)\]"),
    "too few batches": (_fault("for _ in range(self.steps_per_epoch):", "for _ in range(1):"), "", "an epoch of batches had 1; its steps_per_epoch is 2"),
    "endless batches": (_fault("for _ in range(self.steps_per_epoch):", "while True:"), "", "an epoch of batches had 3 or more; its steps_per_epoch is 2"),
    "gradient misshapen": (_fault("[2.0 * x + batch]", "[(2.0 * x + batch)[:1]]"), "", r"gradients as a list of arrays \[float64 \(1,\)\]; the parameters are \[\(2,\)\]"),
    "one gradient short": (_fault("[2.0 * x + batch]", "[]"), "", r"gradients as a list of arrays \[\]; the parameters are \[\(2,\)\]"),
    "no tuple": (_fault("return float(x @ x + x @ batch), [2.0 * x + batch]", "return float(x @ x)"), "", "loss_and_grads must return \\(loss, gradients\\), got a float"),
    "loss NaN": (_fault("float(x @ x + x @ batch)", "float('nan')"), "", "loss_and_grads gave the loss nan at the initial parameters"),
    "gradient is the parameters": (_fault("[2.0 * x + batch]", "[x]"), "", "fresh arrays"),
    "parameters changed": (_fault("(x,) = params\n        return float(x @ x + x", "(x,) = params\n        x *= 2\n        return float(x @ x + x"), "", "loss_and_grads changed the parameters it was given"),
    "loss_and_grads raises": (_fault("[2.0 * x + batch]", "[2.0 * x + batch[5]]"), "", "loss_and_grads raised IndexError"),
    "random parameters": (_fault("np.array([1.0, -2.0])", "np.random.standard_normal(2)"), "", r"initial_params\(0\) gave other parameters the second time; draw them from the seed"),
    "noise not from rng": (_fault("0.1 * rng.standard_normal(2)", "0.1 * np.random.standard_normal(2)"), "", "the same seed's first batch gave another loss the second time"),
    "start misshapen": (SURFACED.replace("np.array([1.0, -2.0]), np.zeros(2)", "np.array([1.0, -2.0, 0.0]), np.zeros(2)"), "",
                        r"its start and minimiser must be arrays of its 2 coordinates, got a list of arrays \[float64 \(3,\), float64 \(2,\)\]"),
    "value not on a grid": (SURFACED.replace("(point**2).sum(axis=0)", "float(point @ point)"), "", "value on a grid raised TypeError"),
    "evaluate misses a metric": (_fault('"train_cost_mean": float(x @ x), ', ""), "", r"evaluate must return a value for each of its metrics \(train_cost_mean, distance\), got distance"),
    "evaluate not finite": (_fault('"distance": float(np.linalg.norm(x))', '"distance": float("inf")'), "", "evaluate gave distance as no finite number"),
}


@pytest.mark.parametrize("fault", BAD_PLUGINS)
def test_a_bad_plugin_problem_stops_the_command_with_one_line(tmp_path, capsys, fault):
    source, options, message = BAD_PLUGINS[fault]
    toml = _plugin_experiment(tmp_path, source or "", 'plugin = "bowl.py:bowl"\n' + options)
    if source is None:
        (tmp_path / "bowl.py").unlink()
    out = tmp_path / "out"
    assert cli.main(["run", "--config", str(toml), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("reportgen: error: problem") and "bowl.py" in error, error
    assert re.search(message, error), error
    assert not out.exists()


@pytest.mark.parametrize(
    "problem_table, extra, message",
    [
        ('plugin = "bowl.py"', "", 'problem plugin \'bowl.py\': expected "path/to/file.py:factory"'),
        ('plugin = "bowl.py:bowl"\nname = "rosenbrock"', "", "problem.name: 'rosenbrock' cannot name a plugin's problem"),
        ('plugin = "bowl.py:bowl"\nname = "a/b"', "", "problem.name: 'a/b' cannot name a plugin's problem"),
        ('plugin = "bowl.py:bowl"', "[data]\nn_train = 5\n", "data: problem bowl has no [data] table"),
        ('plugin = "bowl.py:bowl"\nplugins = 1', "", "problem.plugins: unknown key (did you mean 'plugin'?)"),
        ('name = "bowls"', "", "unknown problem 'bowls'"),
        ('plugin = "bowl.py:bowl"', "[methods.muon]\n", "methods.muon: cannot train problem bowl: "),  # a vector, not a matrix
    ],
)
def test_a_plugin_problem_table_that_names_nothing_usable_is_one_line(tmp_path, problem_table, extra, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.load(_plugin_experiment(tmp_path, BOWL, problem_table, extra))


def test_an_option_the_factory_refuses_is_its_one_line(tmp_path):
    toml = _camel(tmp_path)
    toml.write_text(CAMEL_EXPERIMENT.replace("[training]", "options = { sigma = -1 }\n[training]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"problem .*three_hump_camel.py:three_hump_camel: option sigma: must be a finite number >= 0, got -1$"):
        config.load(toml)
