"""Checks of configured values, shared by the methods' hyperparameters (``registry``) and the schedules (``schedules``).

Each is ``check(where, value) -> value``, normalised (a float, an int, a
list), or a ``ConfigError`` that starts with ``where`` (``methods.sgd:
hyperparameter 'lr'``, ``schedule.T_max``) and says what was expected.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Callable

from reportgen.errors import ConfigError

Check = Callable[[str, Any], Any]


def number(low: float = -math.inf, high: float = math.inf, low_open: bool = False, high_open: bool = False) -> Check:
    """A finite number in the interval (NaN and infinities refused)."""
    if high == math.inf:
        wanted = "a finite number" if low == -math.inf else f"a finite number {'>' if low_open else '>='} {low:g}"  # inf and nan are refused
    elif low == -math.inf:
        wanted = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        wanted = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def check(where, value):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ConfigError(f"{where}: must be {wanted}, got {value!r}")
        given = float(value)
        below = given <= low if low_open else given < low
        above = given >= high if high_open else given > high
        if not math.isfinite(given) or below or above:
            raise ConfigError(f"{where}: must be {wanted}, got {value!r}")
        return given

    return check


def whole(low: int | None = None, high: int | None = None) -> Check:
    """A whole number (true and false are not), within the bounds given."""
    if low is not None and high is not None:
        wanted = f"a whole number from {low} to {high}"
    elif low is not None:
        wanted = f"a whole number >= {low}"
    else:
        wanted = "a whole number"

    def check(where, value):
        if isinstance(value, bool) or not isinstance(value, Integral) or (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{where}: must be {wanted}, got {value!r}")
        return int(value)

    return check


def flag(where, value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: must be true or false, got {value!r}")
    return value


def text(where, value) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be text, got {value!r}")
    return value


def sequence(checks: list[Check], wanted: str) -> Check:
    """A list as long as ``checks``, each item checked by its own (``wanted`` describes the whole, for the message)."""

    def check(where, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != len(checks):
            raise ConfigError(f"{where}: must be {wanted}, got {value!r}")
        return [item_check(_item(where, index), item) for index, (item_check, item) in enumerate(zip(checks, value))]

    return check


def _item(where: str, index: int) -> str:
    """Where the index-th item is: ``schedule.milestones[1]``, or inside the quotes of ``hyperparameter 'betas[1]'``."""
    return f"{where[:-1]}[{index}]'" if where.endswith("'") else f"{where}[{index}]"
