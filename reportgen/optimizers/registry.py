"""Names, letters and titles of the built-in methods, and how a variant module registers them.

A variant module (``textbook``, ``seed2018``) decorates each method builder
with ``Catalog.method``; the builder's signature holds the hyperparameter
names and defaults, the decorator holds the equation beside the code.
"""

from __future__ import annotations

import difflib
import inspect
import string
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Callable

from reportgen.errors import ConfigError
from reportgen.optimizers import values
from reportgen.optimizers.scale_free_parts import LEARNING_RATE_RATIOS

TITLES = {
    "sgd": "Stochastic gradient descent",
    "momentum": "Momentum",
    "nesterov": "Nesterov accelerated gradient",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "nadam": "NAdam",
    "gaussian_noise": "Gaussian additive gradient noise",
    "noise_training": "Noise training",
    "noise_gaussian": "Noise training + Gaussian additive noise",
    "adam_noise": "Adam noise training",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "amsgrad": "AMSGrad",
    "radam": "RAdam",
    "rprop": "Rprop",
    "adafactor": "Adafactor",
    "lion": "Lion",
    "schedule_free_sgd": "Schedule-free SGD",
    "schedule_free_adamw": "Schedule-free AdamW",
    "muon": "Muon",
}
METHODS = tuple(TITLES)
# Methods whose lr only seeds their state, so that a schedule would change nothing (torch's too): refused, with why.
UNSCHEDULABLE = {"rprop": "its lr only sets the first step sizes (as torch.optim.Rprop's), so a schedule would change nothing"}
ARTICLE_METHODS = METHODS[:12]  # a-l: the twelve the 2018 article compared, with its letters
LETTERS = {name: string.ascii_lowercase[index] for index, name in enumerate(METHODS)}
VARIANTS = ("textbook", "seed-2018")
REFERENCE_KEYS = (
    "sutton1986", "qian1999", "nesterov1983", "duchi2011", "zeiler2012", "hinton2012",
    "kingma2014", "dozat2016", "neelakantan2015", "ruder2016", "seo2018noise",
    "loshchilov2019", "reddi2018", "liu2020", "riedmiller1993", "shazeer2018", "chen2023lion", "defazio2024",
    "jordan2024muon", "liu2025muon",
)


@dataclass(frozen=True)
class Quirk:
    """One difference of a seed-2018 method from its textbook rule, and the settings that undo it.

    ``fix`` holds hyperparameter values of the seed-2018 method that replace
    this quirk by the textbook rule and change nothing else; fixing every
    quirk of a method gives the textbook method bit for bit
    (tests/test_quirk_switches.py). Quirks that cannot be undone apart share
    one ``fix``; ``fix`` is empty when the quirk changes no number (then
    ``why_no_fix`` says why).
    """

    text: str
    fix: dict = field(default_factory=dict)
    why_no_fix: str = ""

    def __post_init__(self):
        if bool(self.fix) == bool(self.why_no_fix):
            raise ValueError(f"quirk {self.text!r}: give either the settings that fix it or why there are none")


@dataclass(frozen=True)
class CodeDefinition:
    """One function of the code that runs an update, as the report shows it."""

    name: str  # module.qualname, unique across the optimizer modules
    source: str  # from its ``def`` line on


@dataclass(frozen=True)
class MethodInfo:
    name: str
    letter: str
    title: str
    variant: str
    gradient: str  # "current", "lookahead" or "none" (gradient-free): what the update is fed
    equation: str  # LaTeX, lines separated by \\
    references: list[str]
    quirks: list[Quirk]  # seed-2018: one per difference from the textbook method
    textbook_rule: str  # seed-2018 with quirks: what the textbook variant does instead, in one line
    code: tuple[CodeDefinition, ...]  # the builder, then every part it runs, each once, read from the modules

    @property
    def source(self) -> str:
        """All of :attr:`code` as one listing, each function headed by its name."""
        return "\n\n".join(f"# {definition.name}\n{definition.source}" for definition in self.code)


@dataclass(frozen=True)
class Entry:
    builder: Callable
    equation: str
    references: tuple[str, ...]
    quirks: tuple[Quirk, ...]
    textbook_rule: str


class Catalog:
    """The methods of one variant, filled by the ``method`` decorator."""

    def __init__(self, variant: str):
        self.variant = variant
        self.entries: dict[str, Entry] = {}

    def method(self, name: str, *, equation: tuple[str, ...], references: tuple[str, ...], quirks: tuple[Quirk, ...] = (), textbook_rule: str = ""):
        if name not in TITLES or name in self.entries:
            raise ValueError(f"{name!r} is not a method or is registered twice")
        if bool(quirks) != bool(textbook_rule):
            raise ValueError(f"{name}: a method with quirks names the textbook rule it departs from, and only such a method")
        unknown = set(references) - set(REFERENCE_KEYS)
        if unknown:
            raise ValueError(f"unknown reference keys {sorted(unknown)}")

        def register(builder):
            self.entries[name] = Entry(builder, r" \\ ".join(equation), tuple(references), tuple(quirks), textbook_rule)
            return builder

        return register


def hyperparameter_defaults(builder: Callable) -> dict:
    """The builder's positional parameters are the hyperparameters; keyword-only ones are wiring."""
    return {
        parameter.name: parameter.default
        for parameter in inspect.signature(builder).parameters.values()
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    }


def _pair_in(labels: tuple[str, str], order: str, holds: Callable[[float, float], bool]) -> values.Check:
    """Two numbers each >= 0, whose pair must satisfy ``holds`` (``order`` says how, for the message)."""
    pair = values.sequence([values.number(0.0)] * 2, f"2 numbers [{', '.join(labels)}]")

    def check(where, value):
        first, second = pair(where, value)
        if not holds(first, second):
            raise ConfigError(f"{where}: must have {order}, got {value!r}")
        return [first, second]

    return check


NON_NEGATIVE = values.number(0.0)
# Allowed values, as torch.optim checks them where torch has the name.
CHECKS = {
    "lr": NON_NEGATIVE,
    "momentum": NON_NEGATIVE,
    "eps": NON_NEGATIVE,
    "rho": values.number(0.0, 1.0),
    "alpha": NON_NEGATIVE,
    "betas": values.sequence([values.number(0.0, 1.0, high_open=True)] * 2, "a pair [beta1, beta2]"),
    "momentum_decay": NON_NEGATIVE,
    "weight_decay": NON_NEGATIVE,
    "decoupled_weight_decay": values.flag,
    "initial_accumulator_value": NON_NEGATIVE,
    "eta": NON_NEGATIVE,
    "gamma": NON_NEGATIVE,
    "steps_per_epoch": values.whole(1),
    # schedule-free (the schedulefree package checks none of these three)
    "warmup_steps": values.whole(0),
    "r": NON_NEGATIVE,
    "weight_lr_power": NON_NEGATIVE,
    "own_stream": values.flag,
    # the seed-2018 quirk switches (Quirk.fix): true keeps the 2018 behaviour
    "lookahead": values.flag,
    "eps_inside_sqrt": values.flag,
    "sign_bug": values.flag,
    "constant_correction": values.flag,
    "fixed_momentum": values.flag,
    "scalar_noise": values.flag,
    "eta_is_sd": values.flag,
    "decay_per_epoch": values.flag,
    # Rprop, Adafactor, Muon
    "etas": _pair_in(("eta_minus", "eta_plus"), "0 < eta_minus < 1 < eta_plus", lambda minus, plus: 0.0 < minus < 1.0 < plus),
    "step_sizes": _pair_in(("smallest", "largest"), "smallest <= largest", lambda smallest, largest: smallest <= largest),
    "beta2_decay": values.number(high=0.0),
    "d": values.number(1.0),
    "nesterov": values.flag,
    "ns_coefficients": values.sequence([values.number()] * 3, "3 numbers [a, b, c]"),
    "ns_steps": values.whole(0, 99),
    "adjust_lr_fn": lambda where, value: _one_of(where, value, tuple(LEARNING_RATE_RATIOS)),
}
# Names one method takes as a pair and the others as a number: the check of the pair (Adafactor's eps).
PAIR_CHECKS = {
    "eps": values.sequence([NON_NEGATIVE] * 2, "2 numbers [eps1, eps2]"),
}


def _one_of(where, value, choices: tuple[str, ...]):
    if value not in choices:
        raise ConfigError(f"{where}: must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def resolve(label: str, builder: Callable, given: dict) -> dict:
    """Defaults overridden by ``given``, each value checked; JSON-able (pairs as lists)."""
    defaults = hyperparameter_defaults(builder)
    for name in given:
        if name not in defaults:
            close = difflib.get_close_matches(name, defaults, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            valid = ", ".join(defaults) or "none"
            raise ConfigError(f"{label}: unknown hyperparameter {name!r}{hint} (valid: {valid})")
    merged = {**defaults, **given}
    return {name: _check(name, defaults[name])(f"{label}: hyperparameter {name!r}", value) for name, value in merged.items()}


def _check(name: str, default) -> values.Check:
    if name in PAIR_CHECKS and isinstance(default, tuple):
        return PAIR_CHECKS[name]
    return CHECKS.get(name) or _like(default)


def _like(default) -> values.Check:
    """The check for a hyperparameter reportgen does not know (a plugin's): a value of its default's kind."""
    if isinstance(default, bool):
        return values.flag
    if isinstance(default, Integral):
        return values.whole()
    if isinstance(default, Real):
        return values.number()
    if isinstance(default, (tuple, list)):
        return values.sequence([_like(item) for item in default], f"a list of {len(default)} values like {list(default)!r}")
    if isinstance(default, str):
        return values.text
    raise ConfigError(f"hyperparameter default {default!r}: a plugin's defaults must be numbers, true/false, text or lists of them")


def unknown_choice(kind: str, value, valid) -> ConfigError:
    close = difflib.get_close_matches(str(value), valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(f"unknown {kind} {value!r}{hint} (valid: {', '.join(valid)})")
