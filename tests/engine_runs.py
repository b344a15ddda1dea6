"""One training run set up for the trainers' tests: a small network on ten real digits, and a spec for any method."""

from __future__ import annotations

import numpy as np

from reportgen import data, optimizers
from reportgen.model import network
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import RunSpec

SIZES = (784, 64, 32, 1)  # the full first layer; smaller hidden layers keep the test fast
EPOCHS = 3
N_TRAIN = 10


def make_split():
    """Ten real MNIST digits (the embedded sample): their lit pixels are what the engine exploits."""
    return data.load(n_train=N_TRAIN, n_test=5)


SPLIT = make_split()
WEIGHTS = network.init_params(np.random.RandomState(678), SIZES)


def make_spec(name, variant, batch_size=1, **options) -> RunSpec:
    hyperparams = dict(options.pop("hyperparams", {}))
    if "steps_per_epoch" in optimizers.defaults(name, variant):
        hyperparams.setdefault("steps_per_epoch", -(-N_TRAIN // batch_size))
    resolved = optimizers.create(name, variant, **hyperparams).hyperparams
    return RunSpec(
        MethodSpec(name, optimizers.LETTERS[name], variant, resolved),
        seed=0,
        epochs=options.pop("epochs", EPOCHS),
        batch_size=batch_size,
        activation="elu_2018" if variant == "seed-2018" else "elu",
        sizes=SIZES,
        record_timings=False,
        **options,
    )


def noise_rng(variant):
    return np.random.RandomState(2018) if variant == "seed-2018" else np.random.default_rng(2018)


def run(trainer, spec):
    return trainer.train(spec, SPLIT, WEIGHTS, noise_rng(spec.method.variant), np.random.default_rng(4))
