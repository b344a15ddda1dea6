"""Learning-rate schedules: the kinds of torch.optim.lr_scheduler 2.13.0, stepped once per update.

    opt = optimizers.create("adam", schedule={"kind": "cosine", "T_max": 500}, lr=1e-3)

A schedule is a dict: ``kind`` and the parameters of torch's scheduler under
torch's names and defaults (``resolve`` fills them in and checks them).
Update t (counted from 0) uses the learning rate torch's scheduler has set
after t calls of ``scheduler.step()``, computed as torch computes it
(``lr_sequences``: StepLR, ExponentialLR, LinearLR and CosineAnnealingLR
derive it from the previous lr, not in closed form).

As in optax.inject_hyperparams, the method's parts keep their state and the
rule is rebuilt from the method's builder at every step with that step's
hyperparameters: lr, and for ``onecycle`` with ``cycle_momentum`` the
cycled ``momentum`` or ``betas[0]``. A builder whose rule depends on where lr
sits in the chain takes a keyword-only ``scheduled`` flag, set here, to put
lr where torch puts it (SGD's momentum buffer holds plain gradients).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers import lr_sequences
from reportgen.optimizers import values as value_checks  # schedules.values is this module's own function
from reportgen.optimizers.base import Rule
from reportgen.optimizers.registry import unknown_choice

REQUIRED = "required"  # the default of a parameter torch has no default for


class Parameter(NamedTuple):
    check: Callable[[str, Any], Any]  # (where, value) -> the value, checked and normalised
    default: Any = REQUIRED


def _milestones(where, value):
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"{where}: must be a list of step numbers, got {value!r}")
    steps = [value_checks.whole(1)(f"{where}[{index}]", step) for index, step in enumerate(value)]
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise ConfigError(f"{where}: must be increasing, got {steps}")
    return steps


def _anneal_strategy(where, value):
    if value not in ("cos", "linear"):
        raise ConfigError(f"{where}: must be 'cos' or 'linear', got {value!r}{did_you_mean(value, ('cos', 'linear'))}")
    return value


def _max_lr(where, value):
    return None if value is None else value_checks.number(0.0, low_open=True)(where, value)


_FACTOR = value_checks.number(0.0, 1.0, low_open=True)  # torch's LinearLR start_factor; ConstantLR's factor, whose 0 torch later divides by
_GAMMA = value_checks.number(0.0)
_ETA_MIN = value_checks.number(0.0)
_MOMENTUM = value_checks.number(0.0, 1.0, high_open=True)  # beta1 cycles through these too: Adam's range

# kind -> (torch scheduler, its parameters in torch's order with torch's defaults)
KINDS: dict[str, tuple[str, dict[str, Parameter]]] = {
    "constant": ("ConstantLR", {"factor": Parameter(_FACTOR, 1.0 / 3), "total_iters": Parameter(value_checks.whole(1), 5)}),
    "step": ("StepLR", {"step_size": Parameter(value_checks.whole(1)), "gamma": Parameter(_GAMMA, 0.1)}),
    "multistep": ("MultiStepLR", {"milestones": Parameter(_milestones), "gamma": Parameter(_GAMMA, 0.1)}),
    "exponential": ("ExponentialLR", {"gamma": Parameter(_GAMMA)}),
    "cosine": ("CosineAnnealingLR", {"T_max": Parameter(value_checks.whole(1)), "eta_min": Parameter(_ETA_MIN, 0.0)}),
    "linear": (
        "LinearLR",
        {"start_factor": Parameter(_FACTOR, 1.0 / 3), "end_factor": Parameter(value_checks.number(0.0, 1.0), 1.0), "total_iters": Parameter(value_checks.whole(1), 5)},
    ),
    "warmup_cosine": (
        "SequentialLR([LinearLR(start_factor, total_iters=warmup_steps), CosineAnnealingLR(T_max, eta_min)], milestones=[warmup_steps])",
        {"warmup_steps": Parameter(value_checks.whole(1)), "start_factor": Parameter(_FACTOR, 1.0 / 3), "T_max": Parameter(value_checks.whole(1)), "eta_min": Parameter(_ETA_MIN, 0.0)},
    ),
    "onecycle": (
        "OneCycleLR",
        {
            "max_lr": Parameter(_max_lr, None),  # None: the method's lr
            "total_steps": Parameter(value_checks.whole(1)),
            "pct_start": Parameter(value_checks.number(0.0, 1.0), 0.3),
            "anneal_strategy": Parameter(_anneal_strategy, "cos"),
            "cycle_momentum": Parameter(value_checks.flag, True),
            "base_momentum": Parameter(_MOMENTUM, 0.85),
            "max_momentum": Parameter(_MOMENTUM, 0.95),
            "div_factor": Parameter(value_checks.number(0.0, low_open=True), 25.0),
            "final_div_factor": Parameter(value_checks.number(0.0, low_open=True), 1e4),
            "three_phase": Parameter(value_checks.flag, False),
        },
    ),
}


def resolve(schedule: dict, hyperparams: dict, where: str = "schedule") -> dict:
    """The schedule checked, torch's defaults filled in, ``kind`` first; JSON-able (it goes into cache keys).

    ``hyperparams`` are the method's resolved hyperparameters: onecycle's
    ``max_lr`` defaults to their ``lr``, and cycling momentum needs a
    ``momentum`` or ``betas`` among them.
    """
    if "lr" not in hyperparams:
        raise ConfigError(f"{where}: the method has no learning rate (hyperparameter lr) to schedule")
    if not isinstance(schedule, dict):
        raise ConfigError(f'{where}: must be a table such as {{kind = "cosine", T_max = 500}}, got {schedule!r}')
    if "kind" not in schedule:
        raise ConfigError(f"{where}.kind: missing (valid: {', '.join(KINDS)})")
    kind = schedule["kind"]
    if kind not in KINDS:
        error = unknown_choice("schedule kind", kind, tuple(KINDS))
        raise ConfigError(f"{where}.kind: {error}")
    parameters = KINDS[kind][1]
    for name in schedule:
        if name != "kind" and name not in parameters:
            raise ConfigError(f"{where}: {kind} has no parameter {name!r}{did_you_mean(name, parameters)} (valid: {', '.join(parameters)})")
    resolved = {"kind": kind}
    for name, parameter in parameters.items():
        if name not in schedule and parameter.default == REQUIRED:
            raise ConfigError(f"{where}.{name}: missing, the {kind} schedule needs it")
        resolved[name] = parameter.check(f"{where}.{name}", schedule.get(name, parameter.default))
    if kind == "onecycle":
        _check_onecycle(resolved, hyperparams, where)
    return resolved


def _check_onecycle(resolved, hyperparams, where):
    if resolved["max_lr"] is None:
        resolved["max_lr"] = float(hyperparams["lr"])
    if resolved["cycle_momentum"] and cycled_hyperparameter(hyperparams) is None:
        raise ConfigError(
            f"{where}.cycle_momentum: the method has neither momentum nor betas to cycle (torch would cycle the momentum of 0 its SGD and RMSprop carry; reportgen refuses); set cycle_momentum = false"
        )
    start = 0.0
    for end, *_ in lr_sequences.onecycle_phases(resolved):
        if end == start:  # torch would divide by zero in this phase
            raise ConfigError(
                f"{where}.pct_start: {resolved['pct_start']!r} with total_steps = {resolved['total_steps']} gives OneCycleLR a phase of zero steps"
            )
        start = end


def cycled_hyperparameter(hyperparams: dict) -> str | None:
    """What onecycle cycles, as torch decides: ``momentum`` where the method has it, else ``betas[0]``."""
    if "momentum" in hyperparams:
        return "momentum"
    return "beta1" if "betas" in hyperparams else None


def values(schedule: dict, hyperparams: dict, steps: int) -> dict[str, np.ndarray]:
    """Per update 0 .. steps - 1: ``lr``, and for onecycle with cycle_momentum the cycled
    ``momentum`` or ``beta1`` (whichever the method has): what the report draws over training."""
    schedule = resolve(schedule, hyperparams)
    if schedule["kind"] == "onecycle" and steps > schedule["total_steps"] + 1:
        raise ConfigError(
            f"schedule.total_steps: the onecycle schedule ends after step {schedule['total_steps']}, training asked for step {steps - 1}"
        )
    if schedule["kind"] != "onecycle":
        sequence = lr_sequences.SEQUENCES[schedule["kind"]](schedule, float(hyperparams["lr"]))
        return {"lr": np.fromiter(itertools.islice(sequence, steps), dtype=np.float64, count=steps)}
    phases = lr_sequences.onecycle_phases(schedule)
    anneal = lr_sequences.ANNEAL[schedule["anneal_strategy"]]
    points = np.array([lr_sequences.onecycle_point(phases, anneal, step) for step in range(steps)], dtype=np.float64).reshape(steps, 2)
    cycled = cycled_hyperparameter(hyperparams) if schedule["cycle_momentum"] else None
    return {"lr": points[:, 0]} if cycled is None else {"lr": points[:, 0], cycled: points[:, 1]}


def rules(builder: Callable[..., Rule], hyperparams: dict, schedule: dict) -> Callable[[int], Rule]:
    """rule_at(step): the method's rule built with the hyperparameters of update ``step``."""
    timeline = _Timeline(schedule, hyperparams)
    wiring = {"scheduled": True} if "scheduled" in inspect.signature(builder).parameters else {}

    def rule_at(step: int) -> Rule:
        return builder(**timeline.hyperparams(step), **wiring)

    return rule_at


class _Timeline:
    """The hyperparameters per step, computed in blocks that double (the recursion starts at step 0 each time)."""

    def __init__(self, schedule, hyperparams):
        self.schedule, self.base = schedule, hyperparams
        self.known: dict[str, np.ndarray] = {"lr": np.empty(0)}

    def hyperparams(self, step: int) -> dict:
        known = self.known  # read once: another thread may replace it, never change it
        if step >= len(known["lr"]):
            length = max(2 * len(known["lr"]), step + 1, 1024)
            if self.schedule["kind"] == "onecycle":
                length = max(min(length, self.schedule["total_steps"] + 1), step + 1)
            known = self.known = values(self.schedule, self.base, length)
        chosen = {**self.base, "lr": float(known["lr"][step])}
        if "momentum" in known:
            chosen["momentum"] = float(known["momentum"][step])
        if "beta1" in known:
            chosen["betas"] = [float(known["beta1"][step]), self.base["betas"][1]]
        return chosen
