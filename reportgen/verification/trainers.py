"""The fast engine against the plain reference trainer: the same small run of every method in both variants.

The run: a 784-64-32-1 network (the full first layer, whose lit-pixel
shortcut is the engine's main trick; smaller hidden layers keep it quick) on
ten real digits of the embedded sample, three epochs, batch 1, the default
(fused) engine. tests/test_engine.py, test_kernels.py and
test_quirk_switches.py use the same runs with other options. Every metric
the run records is compared relative to its scale, the largest |value| the
reference records for it (per layer for layer metrics): a cost of 1e-8 is
(1 - a3)^2 with a3 = 1 - 1e-4, so its own relative error is that of a3
divided by 1e-4 in either trainer, however closely the weights agree.
"""

from __future__ import annotations

import functools

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen import data, optimizers
from reportgen.model import network
from reportgen.training import engine, reference
from reportgen.training.results import MethodSpec, RunMetrics
from reportgen.training.tasks import RunSpec
from reportgen.verification.checks import Check

SIZES = (784, 64, 32, 1)
EPOCHS = 3
N_TRAIN = 10
N_TEST = 5
WEIGHT_SEED = 678
TOLERANCE = 1e-12


@functools.cache
def split():
    """Ten real MNIST digits (the embedded sample): their lit pixels are what the engine exploits."""
    return data.load(n_train=N_TRAIN, n_test=N_TEST)


@functools.cache
def weights() -> tuple[np.ndarray, ...]:
    """The starting weights every run shares, read-only: a trainer must not change its caller's weights."""
    drawn = network.init_params(np.random.RandomState(WEIGHT_SEED), SIZES)
    for w in drawn:
        w.setflags(write=False)
    return tuple(drawn)


def make_spec(name: str, variant: str, batch_size: int = 1, **options) -> RunSpec:
    """A run of ``name`` in ``variant`` with its defaults, ``hyperparams`` over them; other options go to RunSpec."""
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


def noise_rng(variant: str):
    return np.random.RandomState(2018) if variant == "seed-2018" else np.random.default_rng(2018)


def run(trainer, spec: RunSpec) -> RunMetrics:
    """``trainer`` (a module with ``train``, as engine and reference are) on the shared split and weights.

    On one BLAS thread, as the engine runs itself: the reference does not, and OpenBLAS's thread
    pool on a busy two-core machine made its small products about 20 times slower (measured).
    """
    with threadpool_limits(1):
        return trainer.train(spec, split(), list(weights()), noise_rng(spec.method.variant), np.random.default_rng(4))


def deviation(fast: RunMetrics, plain: RunMetrics) -> tuple[float, str]:
    """The largest |fast - plain| relative to its metric's scale, and the metric it is in.

    Infinite when the runs disagree on divergence, on which values are NaN, or
    on a value whose scale is zero.
    """
    if (fast.diverged_epoch, fast.divergence_reason) != (plain.diverged_epoch, plain.divergence_reason):
        return np.inf, "divergence"
    largest, where = 0.0, ""
    for metric, expected in plain.arrays.items():
        actual = fast.arrays[metric]
        if not np.array_equal(np.isnan(actual), np.isnan(expected)):
            return np.inf, metric
        scale = np.nanmax(np.abs(expected), axis=0, initial=0.0) * np.ones_like(expected)
        difference = np.where(np.isnan(expected), 0.0, np.abs(actual - expected))
        relative = np.divide(difference, scale, out=np.where(difference > 0, np.inf, 0.0), where=scale > 0)
        if relative.max(initial=0.0) > largest or not where:
            largest, where = float(relative.max(initial=0.0)), metric
    return largest, where


def checks(fast=engine, plain=reference) -> list[Check]:
    """One row per variant and method: the largest relative deviation of the engine's run from the reference's."""
    rows = []
    for variant in optimizers.VARIANTS:
        for name in (name for name, built in optimizers.every_method() if built == variant):
            spec = make_spec(name, variant)
            value, metric = deviation(run(fast, spec), run(plain, spec))
            rows.append(Check("engine", variant, name, metric, value, TOLERANCE))
    return rows
