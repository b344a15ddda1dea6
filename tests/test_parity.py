"""The textbook methods against reference libraries (torch.optim and others), step for step, through the recorded
vectors that the report's Verification section also shows.

The vectors, their loader and the replay live in reportgen.verification.parity; each vectors file names the
library and version that recorded it and the script in tools/ that did.
"""

from __future__ import annotations

import numpy as np
import pytest

from reportgen import optimizers
from reportgen.verification import parity
from reportgen.verification.parity import TOLERANCE, hyperparams, our_optimizer, replay

CASES = [(source, method, setting) for source in parity.sources() for method, setting in source.cases]
# i-l follow their papers: no library ships them, so there is nothing to record.
WITHOUT_A_LIBRARY = optimizers.ARTICLE_METHODS[8:]


@pytest.mark.parametrize("source, method, setting", CASES, ids=[f"{s.library}-{m}-{c}" for s, m, c in CASES])
def test_matches_the_library_every_step(source, method, setting):
    if setting == "default":
        # the library may need a setting spelled out (torch's SGD momentum); it must be our default.
        assert hyperparams(source.arrays, method, setting).items() <= optimizers.defaults(method, "textbook").items()
    deviations = replay(source.arrays, f"{method}/{setting}", our_optimizer(source.arrays, method, setting))
    assert len(deviations) >= 200
    assert deviations.max() <= TOLERANCE, f"{method}/{setting}: step {deviations.argmax()} deviates {deviations.max():.3g}"


def test_every_method_a_library_has_is_recorded_with_its_defaults_and_other_settings():
    recorded = {}
    for source, method, setting in CASES:
        recorded.setdefault(method, []).append(setting)
    for method in optimizers.METHODS:
        if method not in WITHOUT_A_LIBRARY:
            assert "default" in recorded.get(method, []) and len(recorded[method]) >= 2, method


def test_methods_a_to_h_are_the_ones_torch_has():
    torch = next(source for source in parity.sources() if source.library == "torch")
    assert {method for method, _ in torch.cases} >= set(optimizers.ARTICLE_METHODS[:8])
    assert [optimizers.LETTERS[name] for name in optimizers.ARTICLE_METHODS[:8]] == list("abcdefgh")


@pytest.mark.parametrize("source, method, setting", CASES, ids=[f"{s.library}-{m}-{c}" for s, m, c in CASES])
def test_vectors_are_a_real_trajectory(source, method, setting):
    """The recorded runs move the weights far compared with the tolerance, so the comparison can fail."""
    key, arrays = f"{method}/{setting}", source.arrays
    count = sum(1 for name in arrays if name.startswith(f"{key}/initial/"))
    moved = max(np.max(np.abs(arrays[f"{key}/params/{i}"][-1] - arrays[f"{key}/initial/{i}"])) for i in range(count))
    assert moved > 1e-3, key


def test_a_wrong_rule_is_caught():
    """Adam with the 2018 constant bias correction must fail the same comparison."""
    torch = next(source for source in parity.sources() if source.library == "torch")
    deviations = replay(torch.arrays, "adam/default", optimizers.create("adam", "seed-2018", lr=1e-3))
    assert deviations[0] <= TOLERANCE  # both corrections agree on the first step
    assert deviations.max() > 1e-3


def test_the_vectors_are_shared_read_only():
    with pytest.raises(ValueError, match="read-only"):
        parity.sources()[0].arrays["adam/default/params/0"][0] = 0.0
