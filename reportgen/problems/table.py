"""An experiment's ``[problem]`` table: what is trained, and the ``[data]`` the digit problems read.

::

    [problem]
    name = "rosenbrock"            # default "mnist01-mlp": the 2018 network, its [network] and [data] tables
    options = { sigma = 0.5 }      # the problem's own options (reportgen.problems), checked by it

    [data]                         # the digit problems only: which digits, how many of each, held out how
    source = "embedded"            # or "idx" / "npz" with path, as for the 2018 network
    digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    train_per_digit = 300
    test_per_digit = 100
    selection_seed = 0

A synthetic problem (rosenbrock, beale, noisy-quadratic) reads no data, and no problem but the 2018
network has a ``[network]`` table: either given is refused, so no setting is silently ignored.

A problem of your own is a plugin (``reportgen.problems.plugins`` says what its factory returns)::

    [problem]
    plugin = "plugins/camel.py:three_hump_camel"   # path/to/file.py:factory, relative to this file
    options = { sigma = 0.1 }                       # the factory's keyword arguments
    name = "camel"                                  # how results and reports name it; default the factory's name

or the factory an installed package offers under ``name`` (entry point group ``reportgen.problems``). A
plugin's problem reads no ``[data]`` (it loads its own). In a suite, ``[problems.NAME]`` takes ``plugin`` too,
NAME naming the problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reportgen import problems
from reportgen.problems import NETWORK_PROBLEM, plugins
from reportgen.data import DIGITS
from reportgen.errors import ConfigError, did_you_mean

DIGIT_PROBLEMS = ("digits-softmax", "digits-mlp")
PROBLEM_KEYS = ("name", "options", "plugin")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")  # a plugin's problem names result files
DIGIT_DATA = {  # field -> default (None: required)
    "source": "embedded",
    "path": "",
    "split": "test",
    "digits": list(DIGITS),
    "train_per_digit": None,
    "test_per_digit": None,
    "selection_seed": 0,
}


def _checked_table(raw: dict, name: str, keys, whose: str = "") -> dict:
    """The table ``[name]`` of ``raw`` (empty when absent), a one-line ConfigError for anything but a table or a key
    outside ``keys``."""
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table [{name}], got {table!r}")
    for key in table:
        if key not in keys:
            raise ConfigError(f"{name}.{key}: unknown key{whose}{did_you_mean(key, keys)}; expected one of {', '.join(keys)}")
    return table


def problem_table(raw: dict, base_dir: Path | None = None) -> dict:
    """The ``[problem]`` table checked: ``{"name": ..., "options": {...}}`` and a plugin's ``"plugin"`` (its
    ``Source`` as a dict), the problem built once to check its options; a plugin's path is relative to ``base_dir``."""
    table = _checked_table(raw, "problem", PROBLEM_KEYS)
    name = table.get("name", NETWORK_PROBLEM)
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"problem.options: expected a table like {{ sigma = 0.5 }}, got {options!r}")
    plugin = _plugin(table, base_dir)
    if plugin:
        name = table.get("name", plugin["builder"])
        if not isinstance(name, str) or not NAME.fullmatch(name) or name in (NETWORK_PROBLEM, *problems.PROBLEMS):
            raise ConfigError(f"problem.name: {name!r} cannot name a plugin's problem; use letters, digits, - and _, and no built-in problem's name")
    if name == NETWORK_PROBLEM:
        if options:
            raise ConfigError(f"problem.options: {NETWORK_PROBLEM} takes its settings from [network] and [data]")
        return {"name": name, "options": {}}
    problems.create(name, plugin, **options)  # a one-line ConfigError for a bad name or option
    for section in ("network", *(() if name in DIGIT_PROBLEMS else ("data",))):
        if section in raw:
            raise ConfigError(f"{section}: problem {name} has no [{section}] table; its settings are problem.options")
    return {"name": name, "options": dict(sorted(options.items())), **({"plugin": plugin} if plugin else {})}


def _plugin(table: dict, base_dir: Path | None) -> dict | None:
    """The Source of the table's plugin file, or of an installed entry point its name is not a built-in's; or None."""
    if "plugin" in table:
        return plugins.from_reference(table["plugin"], base_dir)
    name = table.get("name", NETWORK_PROBLEM)
    if isinstance(name, str) and name not in (NETWORK_PROBLEM, *problems.PROBLEMS):
        return plugins.from_entry_point(name)
    return None


def numeric_problem(problem: dict) -> dict:
    """What of a checked ``[problem]`` table decides the numbers, for the results' cache key: a plugin by its
    factory and its file's SHA-256, not by where the file sits."""
    if "plugin" not in problem:
        return problem
    return {**problem, "plugin": {key: problem["plugin"][key] for key in ("builder", "sha256")}}


def digit_data(raw: dict) -> dict:
    """The ``[data]`` table of a digit problem, defaults filled in; ``reportgen.data.load_digits`` checks the values."""
    table = _checked_table(raw, "data", DIGIT_DATA, " for a digit problem")
    checked: dict[str, Any] = {}
    for key, default in DIGIT_DATA.items():
        if key not in table and default is None:
            raise ConfigError(f"data.{key}: required for a digit problem (how many images of each digit)")
        checked[key] = table.get(key, default)
    return checked


def problem_steps(problem: dict, data: dict, batch_size: int) -> int:
    """Steps per epoch: a digit problem's training images over the batch size; a synthetic problem's own count."""
    if problem["name"] in DIGIT_PROBLEMS:
        return -(-data["train_per_digit"] * len(data["digits"]) // batch_size)
    return problems.from_table(problem).steps_per_epoch


SUITE_KEYS = ("plugin", "options", "data", "network", "epochs", "batch_size")  # what a [problems.NAME] table may set


def suite_name(raw: dict, default_name: str) -> str:
    """The suite's name when ``raw`` is a suite file (it has ``[problems.NAME]`` tables), else ""."""
    return raw.get("name", default_name) if "problems" in raw else ""


def expand_suite(raw: dict, default_name: str) -> list[dict]:
    """A file with ``[problems.NAME]`` tables (a suite) as one experiment per problem, else the file itself.

    Each experiment is the file's shared tables (methods, seeds, training, ...) with the problem's: its
    ``plugin`` and ``options``, its ``data`` (digits) or ``network`` (mnist01-mlp), and its own ``epochs`` and
    ``batch_size`` over ``[training]``'s; it is named "<suite name>-<problem>"::

        name = "suite"
        [training]
        seeds = [1, 2, 3, 4, 5]
        [methods.sgd]
        [methods.adam]
        [problems.rosenbrock]
        epochs = 500
        [problems.camel]
        plugin = "plugins/camel.py:three_hump_camel"
        epochs = 300
        [problems.digits-softmax]
        epochs = 10
        batch_size = 32
        data = { train_per_digit = 300, test_per_digit = 100 }
    """
    if "problems" not in raw:
        return [raw]
    tables = raw["problems"]
    if "problem" in raw or not isinstance(tables, dict) or not tables:
        raise ConfigError("problems: a suite names each problem in its own [problems.NAME] table (and has no [problem] table)")
    shared = {key: value for key, value in raw.items() if key not in ("problems", "data", "network")}
    base = shared.get("name", default_name)
    experiments = []
    for problem, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"problems.{problem}: expected a table [problems.{problem}], got {table!r}")
        for key in table:
            if key not in SUITE_KEYS:
                raise ConfigError(f"problems.{problem}.{key}: unknown key{did_you_mean(key, SUITE_KEYS)}; expected one of {', '.join(SUITE_KEYS)}")
        training = {**shared.get("training", {}), **{key: table[key] for key in ("epochs", "batch_size") if key in table}}
        own = {key: table[key] for key in ("plugin", "options") if key in table}
        part = {**shared, "name": f"{base}-{problem}", "training": training, "problem": {"name": problem, **own}}
        part.update({key: table[key] for key in ("data", "network") if key in table})
        experiments.append(part)
    return experiments
