"""Experiment configuration: a TOML file, validated field by field.

An experiment names its data, network, training schedule, seeds and methods.
Validation turns the raw TOML into a normalised plain dict (every default
filled in, every method's hyperparameters resolved), so that the cache key is
a hash of exactly what determines the results. Every problem is a
``ConfigError`` naming the field (``training.epochs``), the bad value and what
was expected, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from reportgen import optimizers
from reportgen.errors import ConfigError, did_you_mean
from reportgen.problems import NETWORK_PROBLEM
from reportgen.problems.table import DIGIT_PROBLEMS, digit_data, expand_suite, numeric_problem, problem_steps, problem_table, suite_name
from reportgen.model import network
from reportgen.training import controls, executors, problem_engine
from reportgen.training import methods as method_tables
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import DEFAULT_DIVERGENCE_THRESHOLD, LockstepSpec, RunSpec, run_specs

DEFAULT_PRESETS = ("seed-2018", "textbook")
MAX_SEED = 2**32 - 1
MAX_NAME_BYTES = 200  # + "-<key16>" must fit a 255-byte file name
ENGINES = ("fused", "numpy")
MAX_CONFIG_BYTES = 1_000_000  # an experiment file is a few hundred bytes; a sweep grid a few thousand


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: ``config`` is the normalised dict, ``methods`` resolved."""

    name: str
    description: str
    config: dict
    methods: tuple[MethodSpec, ...]
    source: str  # where the config came from, for messages
    sweep: dict  # the [sweep] table as written; reportgen.sweep.plan checks it against this experiment
    ablation: dict  # the [ablation] table as written; reportgen.ablation.plan checks it
    executor: dict  # the [executor] table, checked: kind and scheduler
    tuning: dict = field(default_factory=dict)  # the [tuning] table as written; reportgen.sweep.tune checks it
    suite: str = ""  # the suite's name when the experiment is one problem of a suite file, whose site shows it

    @property
    def seeds(self) -> list[int]:
        return self.config["training"]["seeds"]

    def run_specs(self) -> list[RunSpec]:
        return run_specs(self.config, self.methods)

    def control_specs(self) -> list[RunSpec | LockstepSpec]:
        return controls.control_specs(self.config, self.run_specs())

    def numeric_config(self) -> dict:
        """The part of the config that determines the numbers: what the results' cache key hashes."""
        numeric = {section: value for section, value in self.config.items() if section not in (*REPORT_ONLY, "name", "variant")}
        numeric["training"] = {key: value for key, value in numeric["training"].items() if key not in HOW_ONLY}
        numeric["problem"] = numeric_problem(numeric["problem"])
        return numeric

    def with_engine(self, engine: str) -> Experiment:
        """The same experiment trained by ``engine`` ("fused" or "numpy"): the --engine flag."""
        _choice(*ENGINES)("--engine", engine)
        training = {**self.config["training"], "engine": engine}
        return replace(self, config={**self.config, "training": training})


# --- field checks -----------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(low: int, high: int) -> Callable[[str, Any], int]:
    def check(field: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{field}: expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise ConfigError(f"{field}: {value} is out of range; expected {low} to {high}")
        return value

    return check


def _positive_float(high: float) -> Callable[[str, Any], float]:
    def check(field: str, value: Any) -> float:
        if not _is_number(value):
            raise ConfigError(f"{field}: expected a number, got {value!r}")
        if not math.isfinite(value) or not 0 < value <= high:
            raise ConfigError(f"{field}: {value} is out of range; expected a finite number above 0 and at most {high:g}")
        return float(value)

    return check


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def check(field: str, value: Any) -> str:
        if value not in allowed:
            raise ConfigError(f"{field}: {value!r} is not one of {', '.join(repr(a) for a in allowed)}{did_you_mean(value, allowed)}")
        return value

    return check


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{field}: expected true or false, got {value!r}")
    return value


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{field}: expected a string, got {value!r}")
    return value


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """A field that may be left out (None); when given, ``check`` applies."""

    def optional(field: str, value: Any) -> Any:
        return None if value is None else check(field, value)

    return optional


def _hidden(field: str, value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ConfigError(f"{field}: expected two hidden-layer sizes like [256, 128], got {value!r}")
    return [_integer(1, 4096)(f"{field}[{i}]", size) for i, size in enumerate(value)]


def _seeds(field: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{field}: expected a non-empty list of seeds like [678], got {value!r}")
    seeds = [_integer(0, MAX_SEED)(f"{field}[{i}]", seed) for i, seed in enumerate(value)]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{field}: seeds repeat: {seeds}")
    if len(seeds) > 1000:
        raise ConfigError(f"{field}: {len(seeds)} seeds is absurd; at most 1000")
    return seeds


# section -> field -> (check, default); a default of None means required.
SCHEMA: dict[str, dict[str, tuple[Callable[[str, Any], Any], Any]]] = {
    "data": {
        "source": (_choice("embedded", "idx", "npz"), "embedded"),
        "path": (_text, ""),
        "split": (_choice("test", "train"), "test"),
        "n_train": (_integer(1, 70_000), 50),
        "n_test": (_integer(1, 70_000), 20),
        "selection_seed": (_integer(0, MAX_SEED), 678),
    },
    "network": {
        "hidden": (_hidden, [256, 128]),
        "activation": (_choice(*network.ACTIVATIONS), "elu"),
    },
    "training": {
        "epochs": (_integer(1, 100_000), 100),
        "batch_size": (_integer(1, 70_000), 1),
        "seeds": (_seeds, [678]),
        "dtype": (_choice("float64", "float32"), "float64"),
        "shuffle": (_boolean, False),
        "divergence_threshold": (_positive_float(1e300), DEFAULT_DIVERGENCE_THRESHOLD),
        "record_timings": (_boolean, True),
        "engine": (_choice(*ENGINES), "fused"),
    },
    "report": {
        # the plotted cost (the 2018 logged total) a method must reach for "epochs to target";
        # not set: a tenth of the median first-epoch cost (reportgen.analysis.tables.target_cost)
        "target_cost": (_optional(_positive_float(1e300)), None),
        "tuning": (_optional(_text), None),  # how the hyperparameters were chosen, in words the report quotes
        "tuning_seeds": (_optional(_seeds), None),  # the seeds they were chosen on: the report says what that implies
    },
}
# Sections that only change how results are reported: outside the results' cache key.
REPORT_ONLY = ("report",)
# Training settings that change how the numbers are computed, not what they are: the
# fused kernels and the NumPy parts give the same bits (tests/test_kernels.py).
HOW_ONLY = ("engine",)
TOP_LEVEL = {"name", "description", "variant", "methods", "controls", "problem", *SCHEMA}
# Tables other modules check (reportgen.sweep.plan, reportgen.ablation.plan, reportgen.training.executors); they change no number.
PASSTHROUGH = {"sweep", "ablation", "executor", "tuning"}


def _reject_unknown(where: str, keys, allowed) -> None:
    for key in keys:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise ConfigError(f"{place}: unknown key{did_you_mean(key, allowed)}; expected one of {', '.join(sorted(allowed))}")


def _section(raw: dict, name: str) -> dict:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table [{name}], got {table!r}")
    fields = SCHEMA[name]
    _reject_unknown(name, table, fields)
    return {key: check(f"{name}.{key}", table.get(key, default)) for key, (check, default) in fields.items()}


def validate(raw: dict, source: str, base_dir: Path | None = None) -> Experiment:
    """Check a parsed TOML document; relative data paths resolve against ``base_dir``."""
    _reject_unknown("", raw, TOP_LEVEL | PASSTHROUGH)
    name = _text("name", raw.get("name", Path(source).stem))
    # the name becomes a folder name: no separators, no control characters (NUL, newline), within NAME_MAX
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ConfigError(f"name: {len(name.encode('utf-8'))} bytes is too long for a results folder; at most {MAX_NAME_BYTES}")
    unusable = any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name)
    if not name or unusable or name.startswith("."):
        raise ConfigError(f"name: {name!r} cannot name a results folder; use letters, digits and dashes")
    description = _text("description", raw.get("description", ""))
    variant = _choice(*optimizers.VARIANTS)("variant", raw.get("variant", "textbook"))
    problem = problem_table(raw, base_dir)
    on_network = problem["name"] == NETWORK_PROBLEM
    config = {section: _section(raw, section) for section in SCHEMA if on_network or section not in ("data", "network")}
    if not on_network:  # the problem's own data, or none (reportgen.problem_config)
        config["data"] = digit_data(raw) if problem["name"] in DIGIT_PROBLEMS else {}
    config["problem"] = problem

    data, training = config["data"], config["training"]
    if data and data["source"] != "embedded":
        if not data["path"]:
            raise ConfigError(f"data.path: required when data.source is {data['source']!r}")
        path = Path(data["path"]).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        data["path"] = str(path.resolve())
    if on_network and training["batch_size"] > data["n_train"]:
        raise ConfigError(f"training.batch_size: {training['batch_size']} is larger than the training set (data.n_train = {data['n_train']})")
    steps_per_epoch = problem_steps(problem, data, training["batch_size"]) if not on_network else -(-data["n_train"] // training["batch_size"])
    methods = method_tables.specs(raw.get("methods"), variant, steps_per_epoch, training["epochs"] * steps_per_epoch, base_dir)
    config.update(name=name, variant=variant, methods={m.name: method_tables.numeric(m) for m in methods})
    config["controls"] = controls.settings(raw.get("controls", {}), [m.name for m in methods])
    if not on_network:
        problem_engine.check_fits(problem, methods)
    sweep, ablation = raw.get("sweep", {}), raw.get("ablation", {})
    tuning = raw.get("tuning", {})
    for table, value in (("sweep", sweep), ("ablation", ablation), ("tuning", tuning)):
        if not isinstance(value, dict):
            raise ConfigError(f"{table}: expected a table [{table}], got {value!r}")
    executor = executors.settings(raw.get("executor", {}))
    return Experiment(
        name=name, description=description, config=config, methods=methods, source=source, sweep=sweep, ablation=ablation, executor=executor,
        tuning=tuning,
    )  # fmt: skip


def read_config_text(path: Path) -> str:
    """The file's text, refused unless it is a regular file of sane size: a FIFO or /dev/zero would read forever.

    The checks look at the file actually opened (``fstat``), and a FIFO opens at
    once without a writer (``O_NONBLOCK``), so swapping the path in between cannot block.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise ConfigError(f"{path}: is a directory, not a config file")
        if not stat.S_ISREG(status.st_mode):
            raise ConfigError(f"{path}: not a regular file (a device, pipe or socket); give the path of a TOML file")
        if status.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {status.st_size:,} bytes is too large for an experiment file; at most {MAX_CONFIG_BYTES:,}")
        with open(descriptor, "rb", closefd=False) as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)  # the file may have grown since fstat
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: too large for an experiment file; at most {MAX_CONFIG_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None


def load_all(path: Path) -> list[Experiment]:
    """The experiment of a file, or each problem's of a suite file (``reportgen.problems.table.expand_suite``)."""
    path = Path(path)
    text = read_config_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return [replace(validate(part, str(path), base_dir=path.parent), suite=suite_name(raw, path.stem)) for part in expand_suite(raw, path.stem)]


def load(path: Path) -> Experiment:
    return _one(load_all(path), str(path))


def preset_names() -> list[str]:
    files = resources.files("reportgen.presets")
    return sorted(entry.name.removesuffix(".toml") for entry in files.iterdir() if entry.name.endswith(".toml"))


def load_preset_all(name: str) -> list[Experiment]:
    """A preset's experiment, or each problem's of a suite preset."""
    names = preset_names()
    if name not in names:
        raise ConfigError(f"--preset: unknown preset {name!r}{did_you_mean(name, names)}; available: {', '.join(names)}")
    raw = tomllib.loads(resources.files("reportgen.presets").joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    return [replace(validate(part, f"preset {name}"), suite=suite_name(raw, name)) for part in expand_suite(raw, name)]


def load_preset(name: str) -> Experiment:
    return _one(load_preset_all(name), f"preset {name}")


def _one(experiments: list[Experiment], source: str) -> Experiment:
    if len(experiments) > 1:
        raise ConfigError(f"{source}: a suite of {len(experiments)} experiments where one was expected")
    return experiments[0]
