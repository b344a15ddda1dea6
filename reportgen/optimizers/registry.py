"""Names, letters and titles of the built-in methods, and how a variant module registers them.

A variant module (``textbook``, ``seed2018``) decorates each method builder
with ``Catalog.method``; the builder's signature holds the hyperparameter
names and defaults, the decorator holds the equation beside the code.
"""

from __future__ import annotations

import difflib
import inspect
import math
import string
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Callable

from reportgen.errors import ConfigError
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


def _number(method, name, value, low, high, high_open=False):
    where = f"{method}: hyperparameter {name!r}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    value = float(value)
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or value < low or too_high:
        bracket = ")" if high_open else "]"
        raise ConfigError(f"{where} must be finite and in [{low}, {high}{bracket}, got {value!r}")
    return value


def _betas(method, name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ConfigError(f"{method}: hyperparameter {name!r} must be a pair [beta1, beta2], got {value!r}")
    return [_number(method, f"{name}[{index}]", beta, 0.0, 1.0, high_open=True) for index, beta in enumerate(value)]


def _count(method, name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
        raise ConfigError(f"{method}: hyperparameter {name!r} must be a whole number >= {least}, got {value!r}")
    return int(value)


def _numbers(method, name, value, labels, low=0.0):
    """A list of len(labels) finite numbers, each >= low."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != len(labels):
        raise ConfigError(f"{method}: hyperparameter {name!r} must be {len(labels)} numbers [{', '.join(labels)}], got {value!r}")
    return [_number(method, f"{name}[{index}]", number, low, math.inf) for index, number in enumerate(value)]


def _etas(method, name, value):
    eta_minus, eta_plus = _numbers(method, name, value, ("eta_minus", "eta_plus"))
    if not 0.0 < eta_minus < 1.0 < eta_plus:
        raise ConfigError(f"{method}: hyperparameter {name!r} must have 0 < eta_minus < 1 < eta_plus, got {value!r}")
    return [eta_minus, eta_plus]


def _step_sizes(method, name, value):
    smallest, largest = _numbers(method, name, value, ("smallest", "largest"))
    if smallest > largest:
        raise ConfigError(f"{method}: hyperparameter {name!r} must have smallest <= largest, got {value!r}")
    return [smallest, largest]


def _newton_schulz_steps(method, name, value):
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value < 100:
        raise ConfigError(f"{method}: hyperparameter {name!r} must be a whole number from 0 to 99, got {value!r}")
    return int(value)


def _adjust_lr_fn(method, name, value):
    if value not in LEARNING_RATE_RATIOS:
        raise ConfigError(f"{method}: hyperparameter {name!r} must be one of {', '.join(map(repr, LEARNING_RATE_RATIOS))}, got {value!r}")
    return value


def _flag(method, name, value):
    if not isinstance(value, bool):
        raise ConfigError(f"{method}: hyperparameter {name!r} must be true or false, got {value!r}")
    return value


# Allowed values, as torch.optim checks them where torch has the name.
CHECKS = {
    "lr": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "momentum": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "eps": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "rho": lambda m, n, v: _number(m, n, v, 0.0, 1.0),
    "alpha": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "betas": _betas,
    "momentum_decay": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "weight_decay": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "decoupled_weight_decay": _flag,
    "initial_accumulator_value": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "eta": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "gamma": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "steps_per_epoch": _count,
    # schedule-free (the schedulefree package checks none of these three)
    "warmup_steps": lambda m, n, v: _count(m, n, v, least=0),
    "r": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "weight_lr_power": lambda m, n, v: _number(m, n, v, 0.0, math.inf),
    "own_stream": _flag,
    # the seed-2018 quirk switches (Quirk.fix): true keeps the 2018 behaviour
    "lookahead": _flag,
    "eps_inside_sqrt": _flag,
    "sign_bug": _flag,
    "constant_correction": _flag,
    "fixed_momentum": _flag,
    "scalar_noise": _flag,
    "eta_is_sd": _flag,
    "decay_per_epoch": _flag,
    "etas": _etas,
    "step_sizes": _step_sizes,
    "beta2_decay": lambda m, n, v: _number(m, n, v, -math.inf, 0.0),
    "d": lambda m, n, v: _number(m, n, v, 1.0, math.inf),
    "nesterov": _flag,
    "ns_coefficients": lambda m, n, v: _numbers(m, n, v, ("a", "b", "c"), low=-math.inf),
    "ns_steps": _newton_schulz_steps,
    "adjust_lr_fn": _adjust_lr_fn,
}
# Names one method takes as a pair and the others as a number: the check of the pair (Adafactor's eps).
PAIR_CHECKS = {
    "eps": lambda m, n, v: _numbers(m, n, v, ("eps1", "eps2")),
}


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
    return {name: _check(name, defaults[name])(label, name, value) for name, value in merged.items()}


def _check(name: str, default) -> Callable:
    if name in PAIR_CHECKS and isinstance(default, tuple):
        return PAIR_CHECKS[name]
    return CHECKS.get(name) or _like(default)



def _like(default) -> Callable:
    """The check for a hyperparameter reportgen does not know (a plugin's): a value of its default's kind."""
    if isinstance(default, bool):
        return _flag
    if isinstance(default, Integral):
        return _whole
    if isinstance(default, Real):
        return lambda m, n, v: _number(m, n, v, -math.inf, math.inf)
    if isinstance(default, (tuple, list)):
        checks = [_like(item) for item in default]

        def sequence(method, name, value):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != len(checks):
                raise ConfigError(f"{method}: hyperparameter {name!r} must be a list of {len(checks)} values like {list(default)!r}, got {value!r}")
            return [check(method, f"{name}[{index}]", item) for index, (check, item) in enumerate(zip(checks, value))]

        return sequence
    if isinstance(default, str):
        return _text
    raise ConfigError(f"hyperparameter default {default!r}: a plugin's defaults must be numbers, true/false, text or lists of them")


def _whole(method, name, value):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ConfigError(f"{method}: hyperparameter {name!r} must be a whole number, got {value!r}")
    return int(value)


def _text(method, name, value):
    if not isinstance(value, str):
        raise ConfigError(f"{method}: hyperparameter {name!r} must be text, got {value!r}")
    return value


def unknown_choice(kind: str, value, valid) -> ConfigError:
    close = difflib.get_close_matches(str(value), valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(f"unknown {kind} {value!r}{hint} (valid: {', '.join(valid)})")
