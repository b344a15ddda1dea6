"""The built-in optimizers: the 2018 article's twelve, a-l, in two variants ("textbook" and
"seed-2018"), and the methods that came after it, in the textbook variant only.

    opt = create("adam", "seed-2018", lr=1e-4)
    state = opt.init(params, rng)
    # per step, by opt.gradient: "current" -> grads at params,
    # "lookahead" -> grads at opt.lookahead(params, state), "none" -> grads=None
    params, state = opt.update(params, grads, state)   # params and grads changed in place

Layout: ``transforms`` and ``noise`` hold the small shared parts, ``textbook`` and
``seed2018`` chain them into methods (equation, docstring and code side by
side), ``scale_free`` adds Rprop, Adafactor and Muon to the textbook variant
(their parts in ``scale_free_parts``), ``base`` the plumbing, ``registry`` the
names and checks.
"""

from __future__ import annotations

import dis
import functools
import inspect
import textwrap

from reportgen.optimizers import noise, scale_free, scale_free_parts, seed2018, textbook, transforms
from reportgen.optimizers.base import Optimizer, OptimizerState, Rule, Transform, chain
from reportgen.optimizers.registry import (
    ARTICLE_METHODS, LETTERS, METHODS, TITLES, VARIANTS, CodeDefinition, MethodInfo, resolve, unknown_choice,
)
from reportgen.errors import ConfigError

__all__ = [
    "METHODS", "ARTICLE_METHODS", "LETTERS", "VARIANTS", "MethodInfo", "Optimizer", "OptimizerState",
    "Rule", "Transform", "adds_gaussian_noise", "chain", "create", "defaults", "describe", "every_method", "variants_of",
]

CATALOGS = {"textbook": textbook.TEXTBOOK, "seed-2018": seed2018.SEED_2018}
_SOURCE_MODULES = {module.__name__ for module in (transforms, noise, textbook, seed2018, scale_free, scale_free_parts)}


def _entry(name: str, variant: str):
    if variant not in CATALOGS:
        raise unknown_choice("optimizer variant", variant, VARIANTS)
    if name not in METHODS:
        raise unknown_choice("optimizer", name, METHODS)
    if name not in CATALOGS[variant].entries:
        raise ConfigError(f"{name} has no {variant} variant (it has: {', '.join(variants_of(name))})")
    return CATALOGS[variant].entries[name]


def variants_of(name: str) -> tuple[str, ...]:
    """The variants ``name`` is built in: both for the article's methods, the textbook one for later methods."""
    return tuple(variant for variant in VARIANTS if name in CATALOGS[variant].entries)


def every_method() -> list[tuple[str, str]]:
    """Every built-in (name, variant), in letter order, textbook first."""
    return [(name, variant) for name in METHODS for variant in variants_of(name)]


def defaults(name: str, variant: str = "textbook") -> dict:
    """The resolved default hyperparameters (JSON-able: pairs as lists)."""
    return resolve(f"{name} ({variant})", _entry(name, variant).builder, {})


def adds_gaussian_noise(name: str, variant: str = "textbook") -> bool:
    """Whether the method adds Gaussian noise: the methods that do are those with its scale ``eta``."""
    return "eta" in defaults(name, variant)


def create(name: str, variant: str = "textbook", **hyperparams) -> Optimizer:
    entry = _entry(name, variant)
    resolved = resolve(f"{name} ({variant})", entry.builder, hyperparams)
    return Optimizer(name, variant, resolved, entry.builder(**resolved))


@functools.lru_cache(maxsize=None)  # it reads the source with inspect and dis: ms per call, asked per run and per title
def describe(name: str, variant: str = "textbook") -> MethodInfo:
    entry = _entry(name, variant)
    return MethodInfo(
        name=name,
        letter=LETTERS[name],
        title=TITLES[name],
        variant=variant,
        gradient=entry.builder(**defaults(name, variant)).gradient,
        equation=entry.equation,
        references=list(entry.references),
        quirks=list(entry.quirks),
        textbook_rule=entry.textbook_rule,
        code=implementation_code(entry.builder),
    )


def implementation_code(builder) -> tuple[CodeDefinition, ...]:
    """The builder's code followed by every part and helper it runs, each once, read from the modules."""
    found = []
    _collect(builder, found)
    return tuple(_definition(function) for function in found)


def _collect(function, found):
    if function in found:
        return
    found.append(function)
    for called in _referenced_functions(function.__code__, function.__globals__):
        _collect(called, found)


def _referenced_functions(code, namespace):
    """Functions of the optimizer modules named in ``code``: globals and ``module.function``."""
    previous = None
    for instruction in dis.get_instructions(code):
        candidate = None
        if instruction.opname == "LOAD_GLOBAL":
            candidate = namespace.get(instruction.argval)
        elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and previous is not None and previous.opname == "LOAD_GLOBAL":
            owner = namespace.get(previous.argval)
            if inspect.ismodule(owner):
                candidate = getattr(owner, instruction.argval, None)
        if inspect.isfunction(candidate) and candidate.__module__ in _SOURCE_MODULES:
            yield candidate
        previous = instruction
    for constant in code.co_consts:
        if inspect.iscode(constant):
            yield from _referenced_functions(constant, namespace)


def _definition(function) -> CodeDefinition:
    """The function's source from its ``def`` line on (the registration decorator is shown elsewhere)."""
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("def "))
    return CodeDefinition(f"{function.__module__}.{function.__qualname__}", "\n".join(lines[start:]).rstrip())
