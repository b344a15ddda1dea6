"""Built-in methods against reference libraries, step for step, through recorded trajectories.

Each file in ``vectors/`` holds trajectories one library recorded, in float64,
and names the script in tools/ that made it (the libraries are never
dependencies of reportgen). Keys:

* ``library``, ``version``, ``script``, ``steps``;
* ``<method>/<setting>/hyperparams``: JSON, the settings in reportgen's names
  (``{}`` for "default": our defaults must be the library's);
* ``<method>/<setting>/initial/<i>``, ``grads/<i>`` (per step: the gradient the
  library used) and ``params/<i>`` (per step: the parameters after its step);
* for a method that takes its gradient elsewhere than at the parameters,
  ``points/<i>`` (per step: where the library took it);
* for a run with a learning-rate schedule, ``<method>/<setting>/schedule``:
  JSON, the schedule in reportgen's names (``optimizers.schedules``);
* learning-rate sequences, ``lr/<case>/``: ``method`` and ``hyperparams``
  (the optimizer the scheduler drove), ``schedule``, ``lr`` (per step: the
  library's lr for that step) and, where the schedule cycles it, ``momentum``
  or ``beta1``.

We feed the library's gradients to our optimizer and compare the parameters
(and the gradient points) after every step, and compare our schedules'
sequences with the library's. tests/test_parity.py, tests/test_schedules.py and
the report's Verification section read the same files.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

from reportgen import formatting, optimizers
from reportgen.verification.checks import Check

VECTOR_FILES = ("torch.npz", "torch-schedules.npz", "pytorch-optimizer.npz", "schedulefree.npz")
TOLERANCE = 1e-10
SCHEDULE_TOLERANCE = 1e-12  # scheduled runs and lr sequences: the issue asks for 1e-12
SEQUENCES = "lr/"  # the key prefix of the learning-rate sequences


@dataclass(frozen=True)
class Source:
    """One vectors file: which library recorded it, with what, and its trajectories by key."""

    library: str
    version: str
    script: str
    steps: int
    arrays: dict[str, np.ndarray]

    @property
    def cases(self) -> list[tuple[str, str]]:
        """(method, setting) pairs, in the order recorded."""
        return [tuple(key.split("/")[:2]) for key in self.arrays if key.endswith("/hyperparams") and not key.startswith(SEQUENCES)]

    @property
    def sequences(self) -> list[str]:
        """The names of the learning-rate sequences, in the order recorded."""
        return [key.split("/")[1] for key in self.arrays if key.startswith(SEQUENCES) and key.endswith("/schedule")]


@functools.cache
def sources() -> tuple[Source, ...]:
    """Every vectors file, its arrays read-only (shared by every caller in the process)."""
    return tuple(read(resources.files("reportgen.verification").joinpath("vectors", name).read_bytes()) for name in VECTOR_FILES)


def read(data: bytes) -> Source:
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    for array in arrays.values():
        array.setflags(write=False)
    return Source(str(arrays["library"]), str(arrays["version"]), str(arrays["script"]), int(arrays["steps"]), arrays)


def hyperparams(arrays: dict[str, np.ndarray], method: str, setting: str) -> dict:
    """The settings the library was given, in reportgen's names, beyond any the method fixes (Nesterov's flag)."""
    return json.loads(str(arrays[f"{method}/{setting}/hyperparams"]))


def relative_deviation(ours, theirs) -> float:
    """max |ours - theirs| / max |theirs| over all tensors: elementwise ratios blow up where a weight crosses zero."""
    difference = max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs))
    return float(difference / max(np.max(np.abs(b)) for b in theirs))


def replay(arrays: dict[str, np.ndarray], key: str, optimizer) -> np.ndarray:
    """Our optimizer fed the library's gradients: per step, the relative deviation from its parameters
    (and from the point it took the gradient at, where it records one)."""
    count = sum(1 for name in arrays if name.startswith(f"{key}/initial/"))
    params = [arrays[f"{key}/initial/{index}"].copy() for index in range(count)]
    grads = [arrays[f"{key}/grads/{index}"] for index in range(count)]
    expected = [arrays[f"{key}/params/{index}"] for index in range(count)]
    points = [arrays[f"{key}/points/{index}"] for index in range(count)] if f"{key}/points/0" in arrays else None
    state = optimizer.init(params)
    deviations = []
    for step in range(len(expected[0])):
        deviation = 0.0
        if points is not None:
            deviation = relative_deviation(optimizer.lookahead(params, state), [p[step] for p in points])
        params, state = optimizer.update(params, [g[step].copy() for g in grads], state)
        deviations.append(max(deviation, relative_deviation(params, [e[step] for e in expected])))
    return np.array(deviations)


def schedule(arrays: dict[str, np.ndarray], key: str) -> dict | None:
    """The learning-rate schedule recorded under ``key``, or None for a constant lr."""
    return json.loads(str(arrays[f"{key}/schedule"])) if f"{key}/schedule" in arrays else None


def our_optimizer(arrays: dict[str, np.ndarray], method: str, setting: str, name: str | None = None):
    """Ours with the library's settings: our own defaults for its defaults (they must agree, the test checks it).
    ``name``: the method to run when it is not the one the vectors name (a plugin's key)."""
    chosen = {} if setting == "default" else hyperparams(arrays, method, setting)
    return optimizers.create(name or method, "textbook", schedule=schedule(arrays, f"{method}/{setting}"), **chosen)


def case_deviation(arrays: dict[str, np.ndarray], method: str, setting: str, name: str | None = None) -> tuple[float, float]:
    """(the largest relative deviation over every step of a recorded case, its tolerance)."""
    deviations = replay(arrays, f"{method}/{setting}", our_optimizer(arrays, method, setting, name))
    tolerance = TOLERANCE if schedule(arrays, f"{method}/{setting}") is None else SCHEDULE_TOLERANCE
    return float(np.max(deviations)), tolerance


def describe_schedule(planned: dict) -> str:
    """"cosine (T_max = 60, eta_min = 0.001)": the kind and the parameters given."""
    given = ", ".join(f"{name} = {formatting.setting(value)}" for name, value in planned.items() if name != "kind")
    return f"{planned['kind']} ({given})" if given else planned["kind"]


def describe_setting(arrays: dict[str, np.ndarray], method: str, setting: str) -> str:
    """"defaults", with what the library had to be told to use ours (SGD's momentum); else the settings given; then the schedule."""
    given = ", ".join(f"{name} = {formatting.setting(value)}" for name, value in hyperparams(arrays, method, setting).items())
    if setting == "default":
        given = f"defaults ({given})" if given else "defaults"
    planned = schedule(arrays, f"{method}/{setting}")
    return given if planned is None else f"{given}; schedule {describe_schedule(planned)}"


def sequence_deviation(arrays: dict[str, np.ndarray], name: str) -> float:
    """Our schedule's lr (and cycled momentum or beta1) against the library's over every recorded step,
    each relative to the largest |value| of the library's sequence."""
    key = f"{SEQUENCES}{name}"
    method = str(arrays[f"{key}/method"])
    chosen = {**optimizers.defaults(method), **json.loads(str(arrays[f"{key}/hyperparams"]))}
    theirs = {series: arrays[f"{key}/{series}"] for series in ("lr", "momentum", "beta1") if f"{key}/{series}" in arrays}
    ours = optimizers.schedules.values(schedule(arrays, key), chosen, len(theirs["lr"]))
    if ours.keys() != theirs.keys():
        return math.inf  # a cycled hyperparameter one side has and the other lacks
    return max(relative_deviation([ours[series]], [theirs[series]]) for series in theirs)


def checks(recorded: tuple[Source, ...] | None = None) -> list[Check]:
    """One row per method and setting, grouped by library: the largest relative deviation over every step."""
    rows = []
    for source in sources() if recorded is None else recorded:
        for method, setting in source.cases:
            deviation, tolerance = case_deviation(source.arrays, method, setting)
            rows.append(Check(source.library, setting, method, describe_setting(source.arrays, method, setting), deviation, tolerance))
    return rows


def schedule_checks(recorded: tuple[Source, ...] | None = None) -> list[Check]:
    """One row per recorded learning-rate sequence: its largest relative deviation over every step."""
    rows = []
    for source in sources() if recorded is None else recorded:
        for name in source.sequences:
            key = f"{SEQUENCES}{name}"
            planned = schedule(source.arrays, key)
            lr = formatting.setting(json.loads(str(source.arrays[f"{key}/hyperparams"]))["lr"])
            detail = f"{describe_schedule(planned)} on {source.arrays[f'{key}/method']}, lr = {lr}, {len(source.arrays[f'{key}/lr'])} steps"
            rows.append(Check(f"{source.library} schedules", name, planned["kind"], detail, sequence_deviation(source.arrays, name), SCHEDULE_TOLERANCE))
    return rows
