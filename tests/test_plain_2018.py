"""The bench's plain 2018 loop trains the very runs the engine trains: the seed-2018 preset's, epoch by epoch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reportgen import config
from reportgen.bench import plain_2018
from reportgen.training import seeding
from reportgen.training.runner import load_split
from reportgen.training.trainer import train_one

EPOCHS = 2  # the Gaussian's sd steps down at the second epoch
TOLERANCE = 1e-12  # relative: the engine's Gumbel samples come from np.log, rng.gumbel's from the C library's log
# Adadelta's sign bug climbs the gradient, which amplifies a rounding difference about a thousandfold per epoch
# (7e-14 after the first epoch, 1e-11 after the second, measured; the reference trainer differs from the engine
# exactly as much): its second epoch is held to what that leaves.
EPOCH_TOLERANCES = {"adadelta": [TOLERANCE, 1e-9]}

PRESET = config.load_preset("seed-2018")
SPECS = {spec.method.name: dataclasses.replace(spec, epochs=EPOCHS) for spec in PRESET.run_specs()}


@pytest.fixture(scope="module")
def split():
    return load_split(PRESET.config)


def plain_costs(spec, split) -> np.ndarray:
    weights = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
    rng = seeding.noise_stream(spec.seed, "seed-2018", split.pool_size, spec.sizes)
    return np.array(plain_2018.train(spec, split.X_train, split.y_train, weights, rng))


def test_every_method_of_the_preset_has_a_plain_loop():
    assert sorted(SPECS) == sorted(plain_2018.METHODS) and len(SPECS) == 12


@pytest.mark.parametrize("name", list(SPECS))
def test_the_plain_loop_logs_the_engines_cost_every_epoch(name, split):
    spec = SPECS[name]
    engine_costs = train_one(spec, split).arrays["train_cost_logged"]
    relative = np.abs(plain_costs(spec, split) - engine_costs) / np.abs(engine_costs)
    assert np.all(relative <= EPOCH_TOLERANCES.get(name, TOLERANCE)), relative

