"""How every number and list the report states is written: one formatter for sentences and templates alike.

A number a reader sees in a sentence and the same number in a table must
read the same, so both go through ``number``.
"""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 4
MISSING = "n/a"


def number(value, digits: int = SIGNIFICANT_DIGITS) -> str:
    """``digits`` significant digits; "n/a" when the value is missing or not finite."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    return f"{float(value):.{digits}g}"


def distinguishing_digits(values, least: int = SIGNIFICANT_DIGITS, most: int = 17) -> list[int]:
    """For each value, the fewest significant digits (at least ``least``) at which it reads
    differently from every other, different value of ``values``: 1.767010 and 1.767011 both
    need 7, where 4 would print both as 1.767. Equal values read the same at any length."""
    finite = sorted({float(value) for value in values if value is not None and math.isfinite(float(value))})
    needed = {value: least for value in finite}
    for smaller, larger in zip(finite, finite[1:]):  # only neighbours can be the hardest to tell apart
        digits = next((count for count in range(least, most + 1) if number(smaller, count) != number(larger, count)), most)
        needed[smaller], needed[larger] = max(needed[smaller], digits), max(needed[larger], digits)
    return [needed.get(float(value), least) if value is not None else least for value in values]


def rank_range(low: int, high: int) -> str:
    """A rank the evidence fixes ("8"), or the range it allows ("1–6")."""
    return str(low) if low == high else f"{low}\u2013{high}"


def percent(value) -> str:
    return MISSING if value is None or not math.isfinite(float(value)) else f"{100 * float(value):.1f}%"


def share(value) -> str:
    """A fraction as a percentage with ``number``'s digits: small shares (0.1595%) keep their digits."""
    return MISSING if value is None or not math.isfinite(float(value)) else f"{number(100 * float(value))}%"


def listing(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def setting(value) -> str:
    """A hyperparameter or data value as a person would write it: 0.0003, (0.9, 0.999), true."""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {setting(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(setting(item) for item in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
