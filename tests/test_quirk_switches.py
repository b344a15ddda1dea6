"""Each 2018 quirk can be undone alone: its fix changes the run, and fixing them all gives the textbook method bit for bit.

That second property is what makes the quirk list complete: if a seed-2018
method differed from its textbook rule in anything its quirks do not name,
the all-fixed run would not equal the textbook run.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.errors import ConfigError
from reportgen.training import engine
from reportgen.verification import trainers
from reportgen.verification.trainers import make_spec

WITH_QUIRKS = [name for name in optimizers.ARTICLE_METHODS if optimizers.describe(name, "seed-2018").quirks]


def all_fixes(name: str) -> dict:
    fixes = {}
    for quirk in optimizers.describe(name, "seed-2018").quirks:
        fixes.update(quirk.fix)
    return fixes


def trajectory(name, variant, hyperparams) -> list[np.ndarray]:
    """Every metric of every epoch (costs, accuracy, per-layer gradient and update norms) of a 2-epoch run."""
    spec = replace(make_spec(name, variant, hyperparams=hyperparams), activation="elu", epochs=2)
    noise = np.random.default_rng(2018)  # one kind of stream for both variants: the rule is what is compared
    metrics = engine.train(spec, trainers.split(), list(trainers.weights()), noise, np.random.default_rng(4))
    return [metrics.arrays[key] for key in sorted(metrics.arrays)]


def test_every_quirk_is_listed_with_its_fix_or_why_it_has_none():
    assert WITH_QUIRKS == ["momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam", "gaussian_noise", "noise_gaussian", "adam_noise"]
    for name in WITH_QUIRKS:
        for quirk in optimizers.describe(name, "seed-2018").quirks:
            assert bool(quirk.fix) != bool(quirk.why_no_fix)
            assert set(quirk.fix) <= set(optimizers.defaults(name, "seed-2018")), (name, quirk.text)


@pytest.mark.parametrize("name", WITH_QUIRKS)
def test_fixing_every_quirk_gives_the_textbook_method_bit_for_bit(name):
    lr = {"adadelta": {}}.get(name, {"lr": 1e-3 if name not in ("noise_gaussian", "adam_noise") else 1e-2})
    fixed = trajectory(name, "seed-2018", {**lr, **all_fixes(name)})
    textbook = trajectory(name, "textbook", lr)
    for first, second in zip(fixed, textbook):
        assert np.array_equal(first, second, equal_nan=True), name


@pytest.mark.parametrize(
    ("name", "position"),
    [(name, position) for name in WITH_QUIRKS for position, quirk in enumerate(optimizers.describe(name, "seed-2018").quirks) if quirk.fix],
)
def test_each_fix_changes_the_run(name, position):
    quirk = optimizers.describe(name, "seed-2018").quirks[position]
    replica = trajectory(name, "seed-2018", {})
    fixed = trajectory(name, "seed-2018", quirk.fix)
    assert any(not np.array_equal(first, second) for first, second in zip(replica, fixed)), quirk.text


def test_the_momentum_schedule_cannot_be_undone_without_its_bias_correction():
    with pytest.raises(ConfigError, match="constant_correction = false"):
        optimizers.create("nadam", "seed-2018", fixed_momentum=False)
