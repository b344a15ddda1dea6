"""The built-in optimizers: the 2018 article's twelve, a-l, in two variants ("textbook" and
"seed-2018"), and the methods that came after it, in the textbook variant only.

    opt = create("adam", "seed-2018", lr=1e-4)
    state = opt.init(params, rng)
    # per step, by opt.gradient: "current" -> grads at params,
    # "lookahead" -> grads at opt.lookahead(params, state), "none" -> grads=None
    params, state = opt.update(params, grads, state)   # params and grads changed in place

Layout: ``transforms`` and ``noise`` hold the small shared parts, ``textbook``,
``adam_family`` (Adam's successors), ``scale_free`` (Rprop, Adafactor and Muon, their parts in
``scale_free_parts``), ``lion_schedulefree`` and ``seed2018`` chain them into methods (equation,
docstring and code side by side), ``base`` the plumbing, ``registry`` the names and checks,
``plugins`` the methods from outside, ``schedules`` (with ``lr_sequences``) the learning-rate
schedules ``create`` takes:

    opt = create("adam", schedule={"kind": "cosine", "T_max": 500}, lr=1e-3)
"""

from __future__ import annotations

import dis
import functools
import inspect
import textwrap

from reportgen.optimizers import (
    adam_family, lion_schedulefree, moments, noise, plugin_files, plugins, scale_free, scale_free_parts, schedules, seed2018, textbook, transforms,
)
from reportgen.optimizers.base import Optimizer, OptimizerState, Rule, Transform, chain
from reportgen.optimizers.plugins import Citation, declare
from reportgen.optimizers.registry import (
    ARTICLE_METHODS, LETTERS, METHODS, TITLES, UNSCHEDULABLE, VARIANTS, CodeDefinition, Entry, MethodInfo, resolve, unknown_choice,
)
from reportgen.errors import ConfigError

__all__ = [
    "METHODS", "ARTICLE_METHODS", "LETTERS", "VARIANTS", "MethodInfo", "Optimizer", "OptimizerState",
    "Rule", "Transform", "Citation", "adds_gaussian_noise", "chain", "create", "declare", "defaults", "describe", "every_method",
    "schedules", "variants_of",
]

CATALOGS = {"textbook": textbook.TEXTBOOK, "seed-2018": seed2018.SEED_2018}
_SOURCE_MODULES = {
    module.__name__
    for module in (transforms, moments, noise, textbook, adam_family, scale_free, scale_free_parts, lion_schedulefree, seed2018)
}


def _entry(name: str, variant: str) -> Entry:
    if plugins.is_plugin(name):
        plugin = plugins.get(name)
        if variant != "textbook":
            raise ConfigError(f"{plugin.source.origin}: a plugin method has the textbook variant only, not {variant}")
        return Entry(plugin.builder, r" \\ ".join(plugin.declaration.equation), plugin.declaration.references, (), "")
    if variant not in CATALOGS:
        raise unknown_choice("optimizer variant", variant, VARIANTS)
    if name not in METHODS:
        raise unknown_choice("optimizer", name, METHODS)
    if name not in CATALOGS[variant].entries:
        raise ConfigError(f"{name} has no {variant} variant (it has: {', '.join(variants_of(name))})")
    return CATALOGS[variant].entries[name]


def check_schedulable(name: str, where: str = "schedule") -> None:
    """Refuse a schedule for a method on which it would change nothing (``registry.UNSCHEDULABLE``)."""
    if name in UNSCHEDULABLE:
        raise ConfigError(f"{where}: {name}: {UNSCHEDULABLE[name]}")


def _label(name: str, variant: str) -> str:
    """How messages name a method: a built-in by name and variant, a plugin by its file and builder."""
    return plugins.get(name).source.origin if plugins.is_plugin(name) else f"{name} ({variant})"


def variants_of(name: str) -> tuple[str, ...]:
    """The variants ``name`` is built in: both for the article's methods, the textbook one for later methods."""
    return tuple(variant for variant in VARIANTS if name in CATALOGS[variant].entries)


def every_method() -> list[tuple[str, str]]:
    """Every built-in (name, variant), in letter order, textbook first."""
    return [(name, variant) for name in METHODS for variant in variants_of(name)]


def defaults(name: str, variant: str = "textbook") -> dict:
    """The resolved default hyperparameters (JSON-able: pairs as lists)."""
    return resolve(_label(name, variant), _entry(name, variant).builder, {})


def adds_gaussian_noise(name: str, variant: str = "textbook") -> bool:
    """Whether the method adds Gaussian noise: the methods that do are those with its scale ``eta``."""
    return "eta" in defaults(name, variant)


def create(name: str, variant: str = "textbook", schedule: dict | None = None, **hyperparams) -> Optimizer:
    """The method with ``hyperparams`` (the rest its defaults); ``schedule`` (see ``schedules``) changes its lr per step."""
    entry = _entry(name, variant)
    resolved = resolve(_label(name, variant), entry.builder, hyperparams)
    if schedule is None:
        return Optimizer(name, variant, resolved, entry.builder(**resolved))
    check_schedulable(name)
    planned = schedules.resolve(schedule, resolved)
    rule_at = schedules.rules(entry.builder, resolved, planned)
    return Optimizer(name, variant, resolved, rule_at(0), planned, rule_at)


@functools.lru_cache(maxsize=None)  # it reads the source with inspect and dis: ms per call, asked per run and per title
def describe(name: str, variant: str = "textbook") -> MethodInfo:
    entry = _entry(name, variant)
    return MethodInfo(
        name=name,
        letter=LETTERS.get(name, ""),  # a plugin's letter is the experiment's to give
        title=plugins.get(name).declaration.title if plugins.is_plugin(name) else TITLES[name],
        variant=variant,
        gradient=entry.builder(**defaults(name, variant)).gradient,
        equation=entry.equation,
        references=list(entry.references),
        quirks=list(entry.quirks),
        textbook_rule=entry.textbook_rule,
        code=implementation_code(entry.builder),
    )


def implementation_code(builder) -> tuple[CodeDefinition, ...]:
    """The builder's code followed by every part and helper it runs, each once, read from the modules
    (the optimizer modules and, for a plugin, its own file)."""
    found = []
    _collect(builder, found, _SOURCE_MODULES | {builder.__module__})
    return tuple(_definition(function) for function in found)


def _collect(function, found, modules):
    if function in found:
        return
    found.append(function)
    for called in _referenced_functions(function.__code__, function.__globals__, modules):
        _collect(called, found, modules)


def _referenced_functions(code, namespace, modules):
    """Functions of ``modules`` named in ``code``: globals and ``module.function``."""
    previous = None
    for instruction in dis.get_instructions(code):
        candidate = None
        if instruction.opname == "LOAD_GLOBAL":
            candidate = namespace.get(instruction.argval)
        elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and previous is not None and previous.opname == "LOAD_GLOBAL":
            owner = namespace.get(previous.argval)
            if inspect.ismodule(owner):
                candidate = getattr(owner, instruction.argval, None)
        if inspect.isfunction(candidate) and candidate.__module__ in modules:
            yield candidate
        previous = instruction
    for constant in code.co_consts:
        if inspect.iscode(constant):
            yield from _referenced_functions(constant, namespace, modules)


def _definition(function) -> CodeDefinition:
    """The function's source from its ``def`` line on (the registration decorator is shown elsewhere)."""
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("def "))
    return CodeDefinition(f"{plugin_files.module_title(function.__module__)}.{function.__qualname__}", "\n".join(lines[start:]).rstrip())
