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
  ``points/<i>`` (per step: where the library took it).

We feed the library's gradients to our optimizer and compare the parameters
(and the gradient points) after every step. tests/test_parity.py and the
report's Verification section read the same files.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from reportgen import formatting, optimizers
from reportgen.verification.checks import Check

VECTOR_FILES = ("torch.npz", "pytorch-optimizer.npz", "schedulefree.npz")
TOLERANCE = 1e-10


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
        return [tuple(key.split("/")[:2]) for key in self.arrays if key.endswith("/hyperparams")]


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


def our_optimizer(arrays: dict[str, np.ndarray], method: str, setting: str):
    """Ours with the library's settings: our own defaults for its defaults (they must agree, the test checks it)."""
    chosen = {} if setting == "default" else hyperparams(arrays, method, setting)
    return optimizers.create(method, "textbook", **chosen)


def describe_setting(arrays: dict[str, np.ndarray], method: str, setting: str) -> str:
    """"defaults", with what the library had to be told to use ours (SGD's momentum); else the settings given."""
    given = ", ".join(f"{name} = {formatting.setting(value)}" for name, value in hyperparams(arrays, method, setting).items())
    if setting == "default":
        return f"defaults ({given})" if given else "defaults"
    return given


def checks(recorded: tuple[Source, ...] | None = None) -> list[Check]:
    """One row per method and setting, grouped by library: the largest relative deviation over every step."""
    rows = []
    for source in sources() if recorded is None else recorded:
        for method, setting in source.cases:
            deviations = replay(source.arrays, f"{method}/{setting}", our_optimizer(source.arrays, method, setting))
            rows.append(Check(source.library, setting, method, describe_setting(source.arrays, method, setting), float(np.max(deviations)), TOLERANCE))
    return rows
