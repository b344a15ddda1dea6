"""Textbook a-h against torch.optim, step for step, through recorded trajectories.

``torch_vectors.npz`` beside this file is made by tools/make_torch_vectors.py
(torch 2.13.0, float64; torch is never a dependency of reportgen): for each of
methods a-h, torch's defaults and one other setting, 200 steps on three
tensors of different shapes, the gradient torch used at each step and its
parameters after it. We feed torch's gradients to our optimizer and compare
the parameters after every step. tests/test_torch_parity.py and the report
read the same file through ``vectors``.
"""

from __future__ import annotations

import functools
import io
import json
from importlib import resources

import numpy as np

from reportgen import formatting, optimizers
from reportgen.verification.checks import Check

VECTORS_FILE = "torch_vectors.npz"
METHODS = optimizers.METHODS[:8]  # a-h: the methods torch.optim has
SETTINGS = ("default", "custom")
TOLERANCE = 1e-10


@functools.cache
def vectors() -> dict[str, np.ndarray]:
    """The recorded trajectories by key ("<method>/<setting>/params/<tensor>", ...), read-only."""
    data = resources.files("reportgen.verification").joinpath(VECTORS_FILE).read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        loaded = {key: arrays[key] for key in arrays.files}
    for array in loaded.values():
        array.setflags(write=False)  # shared by every caller in the process
    return loaded


def hyperparams(recorded: dict[str, np.ndarray], method: str, setting: str) -> dict:
    """The arguments torch was given, beyond any the method fixes (Nesterov's flag)."""
    return json.loads(str(recorded[f"{method}/{setting}/hyperparams"]))


def relative_deviation(ours, theirs) -> float:
    """max |ours - torch| / max |torch| over all tensors: elementwise ratios blow up where a weight crosses zero."""
    difference = max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs))
    return float(difference / max(np.max(np.abs(b)) for b in theirs))


def replay(recorded: dict[str, np.ndarray], key: str, optimizer) -> np.ndarray:
    """Our optimizer fed torch's gradients; the relative deviation from torch's parameters after every step."""
    count = sum(1 for name in recorded if name.startswith(f"{key}/initial/"))
    params = [recorded[f"{key}/initial/{index}"].copy() for index in range(count)]
    grads = [recorded[f"{key}/grads/{index}"] for index in range(count)]
    expected = [recorded[f"{key}/params/{index}"] for index in range(count)]
    state = optimizer.init(params)
    deviations = []
    for step in range(int(recorded["steps"])):
        params, state = optimizer.update(params, [g[step].copy() for g in grads], state)
        deviations.append(relative_deviation(params, [e[step] for e in expected]))
    return np.array(deviations)


def our_optimizer(recorded: dict[str, np.ndarray], method: str, setting: str):
    """Ours with torch's settings: our own defaults for torch's defaults (they must agree, the test checks it)."""
    chosen = {} if setting == "default" else hyperparams(recorded, method, setting)
    return optimizers.create(method, "textbook", **chosen)


def describe_setting(recorded: dict[str, np.ndarray], method: str, setting: str) -> str:
    """"defaults", with what torch had to be told to use ours (SGD's momentum); else the arguments given."""
    given = ", ".join(f"{name} = {formatting.setting(value)}" for name, value in hyperparams(recorded, method, setting).items())
    if setting == "default":
        return f"defaults ({given})" if given else "defaults"
    return given


def checks(recorded: dict[str, np.ndarray] | None = None) -> list[Check]:
    """One row per method and setting: the largest relative deviation over every step."""
    recorded = vectors() if recorded is None else recorded
    rows = []
    for method in METHODS:
        for setting in SETTINGS:
            deviations = replay(recorded, f"{method}/{setting}", our_optimizer(recorded, method, setting))
            rows.append(Check("torch", setting, method, describe_setting(recorded, method, setting), float(np.max(deviations)), TOLERANCE))
    return rows
