"""Methods from outside reportgen: plugin files, entry points and built-ins under the experiment's own names.

A plugin trains and renders like a built-in; a bad one stops the command with one line naming the file and the fault,
exit code 2, and nothing written.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import harness

from reportgen import cli, config, optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers import plugins
from reportgen.training import methods

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cautious_adam.py"
SIGNUM = '''\
import numpy as np
from reportgen.optimizers import Rule, Transform, chain, declare
from reportgen.optimizers.parts import scale, trace


def sign() -> Transform:
    def init(params, rng):
        return None

    def update(updates, state, params):
        for u in updates:
            np.sign(u, out=u)
        return updates, state

    return Transform(init, update)


@declare(title="Signum", equation=r"w \\leftarrow w - \\mathrm{lr}\\, \\mathrm{sign}(m)", references=("ruder2016",))
def signum(lr=1e-3, momentum=0.9, warm=True):
    return Rule(chain(trace(momentum), sign(), scale(lr)))
'''


def _experiment(root: Path, methods_toml: str, name: str = "tiny") -> Path:
    return harness.write_config(root / f"{name}.toml", name=name, methods=methods_toml)


def test_a_plugin_builds_into_a_report_like_a_built_in(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "cautious_adam.py")
    toml = _experiment(tmp_path, (
        '[methods.adam]\nlr = 0.01\n\n[methods.cautious]\nplugin = "cautious_adam.py:cautious_adam"\nlr = 0.01\n\n'
        '[methods.faster]\nplugin = "cautious_adam.py:cautious_adam"\nlr = 0.05\n'
    ))
    out = tmp_path / "out"
    assert cli.main(["build", "--config", str(toml), "--out", str(out), "--quiet"]) == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for text in (html, markdown):
        assert "Cautious Adam" in text and "def cautious_adam(" in text and "def cautious(" in text
        assert "Liang et al. 2024" in text  # the plugin's own citation in the references
        assert hashlib.sha256(EXAMPLE.read_bytes()).hexdigest() in text  # the stamp names the code
        # the same code twice: one section, which names the other entry; the other's title tells it apart
        assert text.count("def cautious_adam(") == 1 and "Also run, with other settings, as x." in text and "Cautious Adam (faster)" in text
    metrics = json.loads((out / "data" / "metrics.json").read_text(encoding="utf-8"))
    assert "cautious" in json.dumps(metrics)


def test_the_letters_of_built_ins_stay_and_own_entries_follow(tmp_path):
    (tmp_path / "signum.py").write_text(SIGNUM, encoding="utf-8")
    experiment = config.load(_experiment(tmp_path, (
        '[methods.sig]\nplugin = "signum.py:signum"\n\n[methods.adam]\n\n'
        '[methods.adam_slow]\nmethod = "adam"\ntitle = "Adam, lr 1e-4"\nlr = 1e-4\n'
    )))
    letters = {spec.name: spec.letter for spec in experiment.methods}
    first_free = "abcdefghijklmnopqrstuvwxyz"[len(optimizers.METHODS)]
    assert letters["adam"] == "g" and letters["sig"] == first_free
    assert [spec.name for spec in experiment.methods] == ["adam", "sig", "adam_slow"]
    slow = experiment.methods[2]
    assert (slow.runs, methods.info(slow).title, slow.hyperparams["lr"]) == ("adam", "Adam, lr 1e-4", 1e-4)
    assert methods.info(experiment.methods[1]).title == "Signum"


def test_the_plugin_file_is_in_the_cache_key(tmp_path):
    plugin = tmp_path / "signum.py"
    plugin.write_text(SIGNUM, encoding="utf-8")
    toml = _experiment(tmp_path, '[methods.sig]\nplugin = "signum.py:signum"\n')
    before = config.load(toml).numeric_config()
    plugin.write_text(SIGNUM.replace("np.sign(u, out=u)", "np.sign(u, out=u)  # edited"), encoding="utf-8")
    after = config.load(toml).numeric_config()
    assert before != after
    assert before["methods"]["sig"]["plugin"]["sha256"] == hashlib.sha256(SIGNUM.encode()).hexdigest()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(plugin, moved / "signum.py")
    (moved / "tiny.toml").write_text(toml.read_text(encoding="utf-8"), encoding="utf-8")
    assert config.load(moved / "tiny.toml").numeric_config() == after  # where the file sits changes no number


def test_a_plugin_reloads_in_a_fresh_process_from_its_spec(tmp_path):
    plugin = tmp_path / "signum.py"
    plugin.write_text(SIGNUM, encoding="utf-8")
    spec = config.load(_experiment(tmp_path, '[methods.sig]\nplugin = "signum.py:signum"\nlr = 0.5\n')).methods[0]
    plugins._LOADED.clear()  # as in a worker process
    optimizer = methods.optimizer(spec)
    params = [np.array([[1.0, -2.0]])]
    optimizer.update(params, [np.array([[3.0, -0.1]])], optimizer.init(params))
    np.testing.assert_array_equal(params[0], [[0.5, -1.5]])
    plugin.write_text(SIGNUM + "\n# edited after the experiment was read\n", encoding="utf-8")
    plugins._LOADED.clear()
    with pytest.raises(ConfigError, match="changed since the experiment was read"):
        methods.optimizer(spec)


BAD_PLUGINS = {
    "missing file": (None, "no such file"),
    "import error": ("import numpy as np\nraise RuntimeError('plugin broke\\nsecond line')\n", "import failed: RuntimeError: plugin broke$"),
    "no such builder": ("x = 1\n", "defines no 'signum'"),
    "builder misspelt": (SIGNUM.replace("def signum(", "def signm("), "defines no 'signum' \\(did you mean 'signm'\\?\\)"),
    "no title": (SIGNUM.replace('title="Signum", ', ""), "the declaration has no title"),
    "not declared": ("def signum(lr=1.0):\n    return None\n", "is not declared"),
    "no equation": (re.sub(r'equation=r"[^"]*"', 'equation=""', SIGNUM), "no update equation"),
    "no default": (SIGNUM.replace("def signum(lr=1e-3,", "def signum(lr,"), "hyperparameter 'lr' needs a default"),
    "star args": (SIGNUM.replace("warm=True)", "warm=True, **more)"), "wrong signature"),
    "unknown reference": (SIGNUM.replace('references=("ruder2016",)', 'references=("nobody2030",)'), "nobody2030"),
    "returns no rule": (SIGNUM.replace("return Rule(chain(trace(momentum), sign(), scale(lr)))", "return chain(scale(lr))"), "must return reportgen.optimizers.Rule"),
    "step gives NaN": (SIGNUM.replace("np.sign(u, out=u)", "u.fill(np.nan)"), "step 1 with the default hyperparameters gave NaN"),
    "short step": (SIGNUM.replace("        return updates, state\n\n    return Transform", "        return updates[:1], state\n\n    return Transform"), "a step with its defaults failed: ValueError: .*step's shapes"),
    "step raises": (SIGNUM.replace("np.sign(u, out=u)", "u[99] = 0"), "a step with its defaults failed: IndexError"),
}


@pytest.mark.parametrize("fault", BAD_PLUGINS)
def test_a_bad_plugin_stops_the_build_with_one_line(tmp_path, capsys, fault):
    source, message = BAD_PLUGINS[fault]
    if source is not None:
        (tmp_path / "signum.py").write_text(source, encoding="utf-8")
    toml = _experiment(tmp_path, '[methods.sig]\nplugin = "signum.py:signum"\n')
    out = tmp_path / "out"
    assert cli.main(["build", "--config", str(toml), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "signum.py" in error, error
    assert re.search(message, error), error
    assert not out.exists()


@pytest.mark.parametrize(
    "table, message",
    [
        ('[methods.adamm]\n', "unknown method 'adamm' (did you mean 'adam'?)"),
        ('[methods.x]\nmethod = "adamm"\n', "methods.x.method: 'adamm' is not a built-in method (did you mean 'adam'?)"),
        ('[methods.x]\nmethod = "adam"\nplugin = "a.py:b"\n', "not both"),
        ('[methods.sgd]\nmethod = "adam"\n', "not a built-in's name"),
        ('[methods.x]\nplugin = "signum.py"\n', 'expected "path/to/file.py:builder"'),
        ('[methods.x]\nmethod = "adam"\ntitle = 3\n', "methods.x.title: expected text"),
    ],
)
def test_entries_that_name_nothing_usable_are_refused(tmp_path, table, message):
    with pytest.raises(ConfigError) as caught:
        config.load(_experiment(tmp_path, table))
    assert message in str(caught.value)


def test_a_textbook_only_method_in_a_seed_2018_experiment_says_how_to_fix_it(tmp_path):
    toml = _experiment(tmp_path, "[methods.adam]\n")
    toml.write_text(toml.read_text(encoding="utf-8").replace('name = "tiny"', 'name = "tiny"\nvariant = "seed-2018"'), encoding="utf-8")
    assert config.load(toml).methods[0].variant == "seed-2018"
    (tmp_path / "signum.py").write_text(SIGNUM, encoding="utf-8")
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[methods.sig]\nplugin = "signum.py:signum"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match='textbook variant only.*set variant = "textbook" in \\[methods.sig\\]'):
        config.load(toml)


def install_entry_point(root: Path, monkeypatch, package: str, name: str) -> None:
    """A package on sys.path that declares [project.entry-points."reportgen.optimizers"] name = "package:signum"."""
    site = root / "site"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(SIGNUM, encoding="utf-8")
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[reportgen.optimizers]\n{name} = {package}:signum\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))


def test_an_installed_entry_point_is_a_method_by_its_name(tmp_path, monkeypatch):
    install_entry_point(tmp_path, monkeypatch, "signum_pkg", "signum")
    spec = config.load(_experiment(tmp_path, "[methods.signum]\nlr = 0.1\n")).methods[0]
    assert spec.plugin["entry_point"] == "signum" and methods.info(spec).title == "Signum"
    assert spec.hyperparams == {"lr": 0.1, "momentum": 0.9, "warm": True}
    sys.modules.pop("signum_pkg", None)


def test_a_plugin_checks_its_own_hyperparameters_by_their_defaults(tmp_path):
    (tmp_path / "signum.py").write_text(SIGNUM, encoding="utf-8")
    with pytest.raises(ConfigError, match="hyperparameter 'warm': must be true or false, got 3"):
        config.load(_experiment(tmp_path, '[methods.sig]\nplugin = "signum.py:signum"\nwarm = 3\n'))
    with pytest.raises(ConfigError, match="hyperparameter 'lr': must be a finite number >= 0"):
        config.load(_experiment(tmp_path, '[methods.sig]\nplugin = "signum.py:signum"\nlr = -1.0\n'))


def test_the_example_plugin_is_what_its_docstring_says():
    """Entries where Adam's step disagrees with the gradient in sign are dropped, the rest scaled by size / (kept + 1)."""
    plugin = plugins.from_reference(f"{EXAMPLE}:cautious_adam", None)
    cautious = optimizers.create(plugin.source.key, lr=1.0)
    adam = optimizers.create("adam", lr=1.0)
    start = np.array([[0.3, -0.2, 0.1, 0.4]])
    steps = {}
    for name, optimizer in (("cautious", cautious), ("adam", adam)):
        params = [start.copy()]
        state = optimizer.init(params)
        for gradient in ([1.0, -1.0, 1.0, -1.0], [1.0, 0.05, -0.01, -1.0]):
            before = params[0].copy()
            params, state = optimizer.update(params, [np.array([gradient])], state)
        steps[name] = before - params[0]
    agrees = steps["adam"] * np.array([[1.0, 0.05, -0.01, -1.0]]) > 0
    np.testing.assert_array_equal(agrees, [[True, False, False, True]])  # the momentum still points the old way in two entries
    np.testing.assert_allclose(steps["cautious"], np.where(agrees, steps["adam"] * 4 / 3, 0.0), rtol=1e-12)


def test_plugin_code_is_shown_from_its_own_file(tmp_path):
    (tmp_path / "signum.py").write_text(SIGNUM, encoding="utf-8")
    plugin = plugins.from_reference(str(tmp_path / "signum.py") + ":signum", None)
    shown = optimizers.describe(plugin.source.key).source
    names = [line.removeprefix("# ") for line in shown.splitlines() if line.startswith("# ")]
    module = names[0].split(".")[0]
    assert names == [f"{module}.signum", "reportgen.optimizers.transforms.trace", "reportgen.optimizers.transforms._zeros", f"{module}.sign", "reportgen.optimizers.transforms.scale"]


def test_every_public_part_is_documented_where_plugin_authors_read():
    from reportgen.optimizers import parts

    for name in parts.__all__:
        assert callable(getattr(parts, name)) and f"``{name}(" in parts.__doc__, name
