"""The fused kernels give the NumPy parts' numbers bit for bit, on every method in both variants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.optimizers import kernels
from reportgen.training import engine
from reportgen.verification.trainers import make_spec, run

KERNELS = ("descend", "shift", "lookahead", "trace", "root_of_squares", "adadelta", "adam", "nadam", "nadam_2018")
# The methods that run part by part: neither their chains' ends nor their parts have a kernel.
UNFUSED = {"rprop", "adafactor", "schedule_free_sgd", "muon"}


@pytest.fixture
def kernel_calls(monkeypatch) -> list[str]:
    """The names of the kernels called, in order (each kernel wrapped, still compiled)."""
    calls = []
    for name in KERNELS:
        compiled = getattr(kernels, name)

        def counted(*arguments, name=name, compiled=compiled):
            calls.append(name)
            return compiled(*arguments)

        monkeypatch.setattr(kernels, name, counted)
    return calls


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_both_engines_give_the_same_bits(name, variant, batch_size, kernel_calls):
    """Batch 1 adds the compiled outer products and the first gradient's rows of lit pixels alone."""
    spec = make_spec(name, variant, batch_size, hyperparams={"lr": 0.01} if name in ("sgd", "momentum", "nesterov") else {})
    fused = run(engine, dataclasses.replace(spec, engine="fused"))
    assert bool(kernel_calls) == (name not in UNFUSED), kernel_calls
    kernel_calls.clear()
    plain = run(engine, dataclasses.replace(spec, engine="numpy"))
    assert kernel_calls == []
    assert fused.diverged_epoch == plain.diverged_epoch == 0  # all epochs recorded: no NaN compares as equal
    for metric, values in plain.arrays.items():
        assert fused.arrays[metric].tobytes() == values.tobytes(), metric


def test_kernels_stay_off_where_they_would_not_be_exact(kernel_calls):
    # float32: NumPy computes in float32, a compiled loop would promote to float64
    spec = make_spec("adam", "textbook", dtype="float32", engine="fused")
    run(engine, spec)
    assert kernel_calls == []
    with kernels.fused(True):
        assert kernels.applies(np.zeros(3)) and not kernels.applies(np.zeros(3, np.float32)) and not kernels.applies(np.zeros((3, 2))[:, 0])
    assert not kernels.applies(np.zeros(3))  # off outside the block


def test_a_long_adam_run_stays_identical():
    # 2,000 steps: any difference in the order of operations would have grown into the weights by now
    spec = make_spec("adam", "seed-2018", epochs=200)
    fused, plain = run(engine, dataclasses.replace(spec, engine="fused")), run(engine, dataclasses.replace(spec, engine="numpy"))
    assert fused.arrays["train_cost_logged"].tobytes() == plain.arrays["train_cost_logged"].tobytes()
    assert fused.arrays["update_norm"].tobytes() == plain.arrays["update_norm"].tobytes()


def test_a_lockstep_group_leaves_the_kernels_and_numpys_error_state_as_it_found_them():
    """Generators advanced in turn used to hold kernels.fused across their yields and restore each other's setting
    in the wrong order: after a group the kernels stayed on in the process (and --engine numpy used them)."""
    from reportgen.training import lockstep
    from reportgen.training.tasks import LockstepSpec
    from reportgen.verification.trainers import split

    group = LockstepSpec((make_spec("sgd", "textbook", epochs=2), make_spec("momentum", "textbook", epochs=2)))
    errors = np.geterr()
    assert not kernels.applies(np.zeros(3))
    comparison, runs = lockstep.train_group(group, split())
    assert not kernels.applies(np.zeros(3)) and np.geterr() == errors
    assert np.isfinite(comparison.arrays["momentum:cost_gap"][:2]).all()


@pytest.mark.parametrize("enabled", [True, False], ids=["fused", "numpy"])
@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_rows_outside_the_active_ones_are_read_as_zero(name, variant, enabled):
    """The engine leaves leftovers in the first gradient's rows of unlit pixels; every method, on either path,
    must step as if they were zero (the kernels that skip those rows, SGD's and Adagrad's, included)."""
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal((6, 4)), rng.standard_normal((4, 3))]
    active = np.array([True, False, True, False, False, True])
    gradients = [[rng.standard_normal(w.shape) for w in weights] for _ in range(3)]
    for g in gradients:
        g[0][~active] = 0.0
    runs = []
    for leftovers in (False, True):
        optimizer = optimizers.create(name, variant)
        w = [a.copy() for a in weights]
        state = optimizer.init(w, np.random.RandomState(1) if variant == "seed-2018" else np.random.default_rng(1))
        with kernels.fused(enabled):
            for g in gradients:
                g = [a.copy() for a in g]
                if leftovers:
                    g[0][~active] = rng.standard_normal(g[0][~active].shape)
                grads = None if optimizer.gradient == "none" else g
                w, state = optimizer.update(w, grads, state, active if leftovers and grads else None)
        runs.append(w)
    zeros, leftovers = runs
    assert all(a.tobytes() == b.tobytes() for a, b in zip(zeros, leftovers))
