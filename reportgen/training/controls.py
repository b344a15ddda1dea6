"""Control runs beside an experiment's methods: what the report needs to say why two curves overlap.

The ``[controls]`` table of a config::

    noise_floor_streams = 5                       # other noise streams per seed
    noise_floor = ["noise_training"]              # methods trained again with each of them
    lockstep = [["noise_training", "noise_gaussian"]]  # runs trained together (reportgen.training.lockstep)

* Noise floor: the method again from the same weights and training order,
  with noise stream k = 1..noise_floor_streams instead of its own (see
  ``reportgen.training.seeding``): how far the method lies from itself.
* Lockstep groups: the methods of a group trained together, seed by seed,
  each compared with the first after every epoch. The runs after the first
  use common random numbers: where a method has an ``own_stream`` setting
  (the 2018 k), its Gaussian is drawn from a stream of its own, so that it
  sees every Gumbel sample the first method sees and the gap is the
  Gaussian's alone; that run is a control beside the method's own. A run
  that is the method's own (no setting changed) is stored as such and not
  trained twice.

Control runs sit in the experiment's store folder beside the methods' and
are inside the results' cache key.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from reportgen.errors import ConfigError, did_you_mean
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import LOCKSTEP_METRICS, LockstepSpec, RunSpec

MAX_STREAMS = 100
DEFAULTS = {"noise_floor_streams": 0, "noise_floor": [], "lockstep": []}


def _method_name(field: str, value, methods: list[str]) -> str:
    if value not in methods:
        raise ConfigError(f"{field}: {value!r} is not a method of this experiment{did_you_mean(str(value), methods)}; its methods: {', '.join(methods)}")
    return value


def settings(raw, methods: list[str]) -> dict:
    """The checked ``[controls]`` table: every key filled in, every name one of ``methods``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"controls: expected a table [controls], got {raw!r}")
    for key in raw:
        if key not in DEFAULTS:
            raise ConfigError(f"controls.{key}: unknown key{did_you_mean(key, DEFAULTS)}; expected one of {', '.join(DEFAULTS)}")
    streams = raw.get("noise_floor_streams", DEFAULTS["noise_floor_streams"])
    if isinstance(streams, bool) or not isinstance(streams, int) or not 0 <= streams <= MAX_STREAMS:
        raise ConfigError(f"controls.noise_floor_streams: expected a whole number from 0 to {MAX_STREAMS}, got {streams!r}")
    floor = raw.get("noise_floor", DEFAULTS["noise_floor"])
    if not isinstance(floor, list):
        raise ConfigError(f"controls.noise_floor: expected a list of method names, got {floor!r}")
    floor = [_method_name(f"controls.noise_floor[{index}]", name, methods) for index, name in enumerate(floor)]
    if floor and not streams:
        raise ConfigError("controls.noise_floor: set controls.noise_floor_streams (how many other streams) as well")
    groups = raw.get("lockstep", DEFAULTS["lockstep"])
    if not isinstance(groups, list) or not all(isinstance(group, list) and len(group) >= 2 for group in groups):
        raise ConfigError(f"controls.lockstep: expected a list of groups of at least two method names, got {groups!r}")
    checked = [[_method_name(f"controls.lockstep[{index}]", name, methods) for name in group] for index, group in enumerate(groups)]
    if any(len(set(group)) != len(group) for group in checked):
        raise ConfigError("controls.lockstep: a method appears twice in one group")
    return {"noise_floor_streams": streams, "noise_floor": floor, "lockstep": checked}

def common_random_numbers(method: MethodSpec) -> MethodSpec:
    """The method with its Gaussian on a stream of its own, where that is a setting (the 2018 k)."""
    if "own_stream" not in method.hyperparams:
        return method
    return replace(method, hyperparams={**method.hyperparams, "own_stream": True})


def control_specs(config: dict, runs: list[RunSpec]) -> list[RunSpec | LockstepSpec]:
    """The control runs of a validated config, from the experiment's own runs (``tasks.run_specs``)."""
    controls = config["controls"]
    by_key = {(run.method.name, run.seed): run for run in runs}
    seeds = config["training"]["seeds"]
    specs: list[RunSpec | LockstepSpec] = [
        replace(by_key[name, seed], noise_stream=stream)
        for name in controls["noise_floor"]
        for seed in seeds
        for stream in range(1, controls["noise_floor_streams"] + 1)
    ]
    for group in controls["lockstep"]:
        for seed in seeds:
            first, *others = (by_key[name, seed] for name in group)
            specs.append(LockstepSpec((first, *(replace(run, method=common_random_numbers(run.method)) for run in others))))
    return specs


def stack(config: dict, specs: list[RunSpec | LockstepSpec], runs: list) -> dict[str, np.ndarray]:
    """The control runs (aligned with ``control_specs``) as ResultSet.controls arrays."""
    seeds, streams = len(config["training"]["seeds"]), config["controls"]["noise_floor_streams"]
    controls, position = {}, 0
    for name in config["controls"]["noise_floor"]:
        count = seeds * streams
        curves = np.stack([run.arrays["train_cost_logged"] for run in runs[position : position + count]])
        controls[f"floor:{name}"] = curves.reshape(seeds, streams, -1)
        position += count
    for first, *others in config["controls"]["lockstep"]:
        groups = runs[position : position + seeds]  # each group's comparison, seed by seed
        for name in others:
            for metric in LOCKSTEP_METRICS:
                controls[f"lockstep:{first}:{name}:{metric}"] = np.stack([group.arrays[f"{name}:{metric}"] for group in groups])
        position += seeds
    assert position == len(specs) == len(runs), "control runs out of step with their specs"
    return controls
