"""One row of the report's Verification section: a comparison, its largest deviation and the most it may be."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """``value`` is the largest deviation found, ``tolerance`` the largest allowed; both are relative to a scale the group states.

    ``group`` names the check ("gradient", "torch", "engine"), ``case`` and ``subject`` what was compared
    (an activation and a layer, a method and its settings, a variant and a method); ``detail`` says where
    the deviation was measured or what it was measured against.
    """

    group: str
    case: str
    subject: str
    detail: str
    value: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(self.value <= self.tolerance)  # NaN compares false: a check that measured nothing fails
