"""An experiment's ``[methods]`` tables as ``MethodSpec``s, and a ``MethodSpec`` as an optimizer in any process.

    [methods.adam]                 # a built-in, by its name
    lr = 0.01

    [methods.adamw_cosine]         # a built-in under the experiment's own name
    method = "adamw"
    title = "AdamW, warm-up + cosine"

    [methods.signum]               # a plugin; the path is relative to the TOML file
    plugin = "plugins/signum.py:signum"

    [methods.adan]                 # a method an installed package offers (entry point group reportgen.optimizers)

    [methods.adamw_cosine]         # any of them with a learning-rate schedule, stepped once per update
    method = "adamw"
    schedule = { kind = "warmup_cosine", warmup_steps = 50, T_max = 450 }

Every other key is a hyperparameter. Built-ins keep their letters (a-l the
2018 article's); the other entries take the next free letters in the file's order.
"""

from __future__ import annotations

import re
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

from reportgen import optimizers
from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers import plugins, schedules
from reportgen.training.results import MethodSpec

ENTRY_KEYS = ("method", "plugin", "schedule", "title", "variant")  # the rest of a [methods.NAME] table are hyperparameters
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def specs(raw: Any, default_variant: str, steps_per_epoch: int, updates: int, base_dir: Path | None) -> tuple[MethodSpec, ...]:
    """Built-ins in letter order, then the experiment's own entries in the file's order; ``updates`` per run."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("methods: expected at least one method table such as [methods.sgd]")
    built_in = [name for name in optimizers.METHODS if name in raw and not _runs_other(raw[name])]
    own = [name for name in raw if name not in built_in]
    letters = iter(_letters_after(optimizers.METHODS))
    result = []
    for name in [*built_in, *own]:
        letter = optimizers.LETTERS[name] if name in built_in else next(letters)
        spec = _spec(name, raw[name], letter, default_variant, steps_per_epoch, updates, base_dir)
        if not spec.title and any(earlier.runs == spec.runs for earlier in result):  # the same code twice: tell them apart
            spec = replace(spec, title=f"{info(spec).title} ({name})")
        result.append(spec)
    return tuple(result)


def numeric(spec: MethodSpec) -> dict:
    """What of the method decides its numbers, for the results' cache key: not its title, nor where its plugin file sits."""
    entry = {"variant": spec.variant, **spec.hyperparams}
    if spec.method and not spec.plugin:
        entry["method"] = spec.method
    if spec.plugin:
        entry["plugin"] = {"builder": spec.plugin["builder"], "sha256": spec.plugin["sha256"]}
    if spec.schedule:
        entry["schedule"] = spec.schedule
    return entry


def optimizer(spec: MethodSpec) -> optimizers.Optimizer:
    """The configured optimizer, loading the method's plugin first when this process has not."""
    _load(spec)
    return optimizers.create(spec.runs, spec.variant, schedule=spec.schedule, **spec.hyperparams)


def info(spec: MethodSpec) -> optimizers.MethodInfo:
    """What the report shows of the method, under the experiment's title for it when it gives one."""
    _load(spec)
    described = optimizers.describe(spec.runs, spec.variant)
    return replace(described, title=spec.title) if spec.title else described


def plugin_declaration(spec: MethodSpec) -> plugins.Declaration:
    """What a plugin declares beside its code (title, equation, references, derivation)."""
    _load(spec)
    return plugins.get(spec.runs).declaration


def _load(spec: MethodSpec) -> None:
    if spec.plugin:
        plugins.load(plugins.Source(**spec.plugin))


def _runs_other(table: Any) -> bool:
    return isinstance(table, dict) and ("method" in table or "plugin" in table)


def _letters_after(names) -> list[str]:
    """Single letters after the built-ins', then two-letter labels: enough for any experiment."""
    alphabet = string.ascii_lowercase
    return [*alphabet[len(names):], *(first + second for first in alphabet for second in alphabet)]


def _spec(name: str, table: Any, letter: str, default_variant: str, steps_per_epoch: int, updates: int, base_dir: Path | None) -> MethodSpec:
    where = f"methods.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of hyperparameters, got {table!r}")
    hyperparams = {key: value for key, value in table.items() if key not in ENTRY_KEYS}
    variant = table.get("variant", default_variant)
    if variant not in optimizers.VARIANTS:
        raise ConfigError(f"{where}.variant: {variant!r} is not a variant{did_you_mean(variant, optimizers.VARIANTS)}; expected one of {', '.join(optimizers.VARIANTS)}")
    method, source, title = _what_runs(name, table, where, base_dir)
    try:
        if "steps_per_epoch" in optimizers.defaults(method, variant):
            hyperparams.setdefault("steps_per_epoch", steps_per_epoch)
        resolved = optimizers.create(method, variant, **hyperparams).hyperparams
    except ConfigError as error:
        hint = f"; set variant = \"textbook\" in [{where}]" if variant != "textbook" and "variant" not in table else ""
        raise ConfigError(f"{where}: {error}{hint}") from None
    if "schedule" in table:
        optimizers.check_schedulable(method, f"{where}.schedule")
    schedule = _schedule(table.get("schedule"), resolved, updates, f"{where}.schedule")
    if not title and not source and (method != name or schedule):
        title = _default_title(name, method, schedule)
    return MethodSpec(
        name=name, letter=letter, variant=variant, hyperparams=plain(resolved),
        method="" if method == name else method, title=title, plugin=plugins.source_dict(source) if source else None, schedule=schedule,
    )


SCHEDULE_WORDS = {
    "constant": "reduced start", "step": "step decay", "multistep": "multistep decay", "exponential": "exponential decay",
    "cosine": "cosine decay", "linear": "linear ramp", "warmup_cosine": "warm-up + cosine", "onecycle": "one-cycle",
}


def _default_title(name: str, method: str, schedule: dict | None) -> str:
    """What tells a built-in under another name, or with a schedule, from the plain one: "AdamW, warm-up + cosine"."""
    title = optimizers.TITLES[method]
    return f"{title}, {SCHEDULE_WORDS[schedule['kind']]}" if schedule else f"{title} ({name})"


def _schedule(table: Any, hyperparams: dict, updates: int, where: str) -> dict | None:
    """The schedule resolved and checked against the run's length; onecycle's max_lr kept unset when the table leaves it
    out, so that it follows the method's lr (which a sweep changes)."""
    if table is None:
        return None
    resolved = schedules.resolve(table, hyperparams, where)
    if resolved["kind"] == "onecycle":
        if resolved["total_steps"] < updates:
            raise ConfigError(f"{where}.total_steps: {resolved['total_steps']} is fewer than the run's {updates} updates (epochs x steps per epoch); OneCycleLR ends there")
        if "max_lr" not in table:
            resolved["max_lr"] = None
    return resolved


def _what_runs(name: str, table: dict, where: str, base_dir: Path | None) -> tuple[str, plugins.Source | None, str]:
    """(the name optimizers.create knows, the plugin's source or None, the title the entry gives or "")."""
    title = table.get("title", "")
    if not isinstance(title, str):
        raise ConfigError(f"{where}.title: expected text, got {title!r}")
    if "method" in table and "plugin" in table:
        raise ConfigError(f"{where}: give method (a built-in) or plugin (your own), not both")
    if "method" in table or "plugin" in table:
        if not NAME.fullmatch(name) or name in optimizers.METHODS:
            raise ConfigError(f"{where}: an entry's own name must be letters, digits, - and _ (at most 64), and not a built-in's name")
    if "method" in table:
        method = table["method"]
        if method not in optimizers.METHODS:
            raise ConfigError(f"{where}.method: {method!r} is not a built-in method{did_you_mean(method, optimizers.METHODS)}")
        return method, None, title
    if "plugin" in table:
        plugin = plugins.from_reference(table["plugin"], base_dir)
        return plugin.source.key, plugin.source, title
    if name in optimizers.METHODS:
        return name, None, title
    plugin = plugins.from_entry_point(name)
    if plugin is None:
        raise ConfigError(
            f"{where}: unknown method {name!r}{did_you_mean(name, optimizers.METHODS)}; "
            f"name a built-in, or add your own with plugin = \"file.py:builder\" (README, \"Bring your own method\")"
        )
    return plugin.source.key, plugin.source, title


def plain(value: Any) -> Any:
    """JSON-able copy (tuples become lists) so the hash and the stored metadata agree."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value
