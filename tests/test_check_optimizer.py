"""``reportgen check-optimizer``: every built-in and the example plugin pass; each fault of a broken plugin is
caught by the check named for it; a plugin that cannot load stops with the build's one-line error, exit code 2."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from test_plugins import BAD_PLUGINS, EXAMPLE, install_entry_point

from reportgen import cli, optimizers
from reportgen.verification import conformance

HEAVY_BALL = '''\
import numpy as np
from reportgen.optimizers import Rule, Transform, declare


def heavy_ball(lr, momentum):
    def init(params, rng):
        return [np.zeros_like(p) for p in params], np.zeros(1)

    def update(updates, state, params):
        velocities, steps = state
        steps += 1
        for m, u in zip(velocities, updates):
            m *= momentum
            m += u
            np.multiply(m, lr, out=u)
        return updates, (velocities, steps)

    return Transform(init, update)


@declare(title="Heavy ball", equation=r"m \\leftarrow \\mu m + g, \\quad w \\leftarrow w - \\mathrm{lr}\\, m", vectors=VECTORS)
def heavy(lr=0.01, momentum=0.9):
    return Rule(heavy_ball(lr, momentum))
'''
CORRECT_STEP = "np.multiply(m, lr, out=u)"
FAULTS = {  # fault -> (the correct code it replaces, the broken code, the check that must fail)
    "not in place": (CORRECT_STEP, "u.fill(0.0)\n        for i, (p, m) in enumerate(zip(params, velocities)):\n            params[i] = p - lr * m", "in place"),
    "changes dtype": (CORRECT_STEP, "u.fill(0.0)\n        for i, (p, m) in enumerate(zip(params, velocities)):\n            params[i] = (p - lr * m).astype(np.float64)", "shapes and dtypes"),
    "nondeterministic": (CORRECT_STEP, CORRECT_STEP + "\n            u += 1e-6 * np.random.standard_normal(u.shape)", "determinism"),
    "grows its state": ("return updates, (velocities, steps)", "return updates, (velocities, np.append(steps, steps[-1]))", "state structure"),
    "ascends": (CORRECT_STEP, "np.multiply(m, -lr, out=u)", "descent"),
    "NaN after many steps": (CORRECT_STEP, "np.multiply(m, lr * 1.02 ** steps[0], out=u)", "finite"),
    "an unclosed brace in the equation": ("\\mathrm{lr}\\, m", "\\mathrm{lr\\, m", "equation"),
    "a command latex2mathml lacks": ("\\quad", "\\qaud", "equation"),
}


def _plugin(directory: Path, source: str = HEAVY_BALL, vectors: str = "") -> str:
    (directory / "heavy.py").write_text(source.replace("vectors=VECTORS", f"vectors={vectors!r}"), encoding="utf-8")
    return f"{directory / 'heavy.py'}:heavy"


def _verdicts(findings) -> dict[str, str]:
    return {finding.check: finding.verdict for finding in findings}


@pytest.mark.parametrize("name, variant", optimizers.every_method(), ids=lambda value: value)
def test_every_built_in_passes(name, variant):
    _, findings = conformance.check(name, variant)
    failed = [finding for finding in findings if finding.verdict == "FAIL"]
    assert not failed, failed
    assert [finding.check for finding in findings] == [
        "equation", "in place", "shapes and dtypes", "lookahead", "state structure",
        "determinism", "allocation", "descent", "finite", "parity",
    ]


def test_the_shipped_vectors_check_a_built_in_and_a_seed_2018_quirk_explains_its_climb():
    assert _verdicts(conformance.check("adam")[1])["parity"] == "PASS"
    descent = next(finding for finding in conformance.check("adadelta", "seed-2018")[1] if finding.check == "descent")
    assert descent.verdict == "NOTE" and "sign bug" in descent.detail
    start, end = map(float, re.search(r"loss (\S+) -> (\S+) after", descent.detail).groups())
    assert end > start


def test_the_example_plugin_passes_and_gets_its_allocation_note(capsys):
    assert cli.main(["check-optimizer", f"{EXAMPLE}:cautious_adam"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Cautious Adam (") and "lr = 0.001" in lines[0]
    allocation = next(line for line in lines if line.split()[1:2] == ["allocation"])
    assert allocation.startswith("NOTE") and "times the 784 x 256 weight" in allocation
    assert not [line for line in lines if line.startswith("FAIL")]
    assert lines[-1].endswith("0 failed, 3 with a note")


def test_a_correct_from_scratch_plugin_passes(tmp_path):
    verdicts = _verdicts(conformance.check(_plugin(tmp_path))[1])
    assert "FAIL" not in verdicts.values(), verdicts
    assert verdicts["allocation"] == "PASS" and verdicts["parity"] == "NOTE"


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_caught_by_its_check(tmp_path, capsys, fault):
    correct, broken, check = FAULTS[fault]
    assert correct in HEAVY_BALL
    reference = _plugin(tmp_path, HEAVY_BALL.replace(correct, broken))
    assert cli.main(["check-optimizer", reference]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(re.match(rf"FAIL  {check} ", line) for line in lines), lines
    assert lines[-1].split(", ")[1] != "0 failed"


def test_the_in_place_check_names_the_weight_and_the_dtype(tmp_path):
    correct, broken, _ = FAULTS["changes dtype"]
    findings = {finding.check: finding.detail for finding in conformance.check(_plugin(tmp_path, HEAVY_BALL.replace(correct, broken)))[1]}
    assert findings["shapes and dtypes"].startswith("weight 0: float32 array (12, 8) became float64 array (12, 8)")


def _record(path: Path, momentum: float, lr: float = 0.01, steps: int = 20) -> None:
    """Trajectories of a plain heavy ball in reportgen.verification.parity's format, as a reference library would record them."""
    rng = np.random.Generator(np.random.PCG64(5))
    initial = [rng.standard_normal((4, 3)), rng.standard_normal((3, 2))]
    arrays = {"library": np.array("numpy"), "version": np.array(np.__version__), "script": np.array("tests/test_check_optimizer.py"), "steps": np.array(steps)}
    for setting, chosen in (("default", {}), ("fast", {"lr": 10 * lr})):
        weights, velocities = [w.copy() for w in initial], [np.zeros_like(w) for w in initial]
        grads = [rng.standard_normal((steps, *w.shape)) for w in initial]
        trajectory = [np.empty((steps, *w.shape)) for w in initial]
        for step in range(steps):
            for index, (w, m) in enumerate(zip(weights, velocities)):
                m[...] = momentum * m + grads[index][step]
                w -= chosen.get("lr", lr) * m
                trajectory[index][step] = w
        arrays[f"heavy/{setting}/hyperparams"] = np.array(json.dumps(chosen))
        for index in range(len(initial)):
            arrays[f"heavy/{setting}/initial/{index}"] = initial[index]
            arrays[f"heavy/{setting}/grads/{index}"] = grads[index]
            arrays[f"heavy/{setting}/params/{index}"] = trajectory[index]
    np.savez(path, **arrays)


def test_declared_vectors_are_replayed_and_a_disagreement_fails(tmp_path, capsys):
    _record(tmp_path / "heavy.npz", momentum=0.9)
    agreeing = next(finding for finding in conformance.check(_plugin(tmp_path, vectors="heavy.npz"))[1] if finding.check == "parity")
    assert agreeing.verdict == "PASS" and "over 2 recorded cases" in agreeing.detail
    _record(tmp_path / "heavy.npz", momentum=0.8)
    other = tmp_path / "other"
    other.mkdir()  # another file content, so the plugin loads afresh and reads the new vectors
    assert cli.main(["check-optimizer", _plugin(other, HEAVY_BALL + "\n", vectors="../heavy.npz")]) == 1
    assert re.search(r"^FAIL  parity .*largest relative deviation", capsys.readouterr().out, re.MULTILINE)


def test_unreadable_vectors_fail_the_parity_check(tmp_path):
    findings = {finding.check: finding for finding in conformance.check(_plugin(tmp_path, HEAVY_BALL + "\n\n", vectors="missing.npz"))[1]}
    assert findings["parity"].verdict == "FAIL" and "cannot read the declared vectors" in findings["parity"].detail


@pytest.mark.parametrize("fault", BAD_PLUGINS)
def test_a_plugin_that_cannot_load_stops_with_one_line(tmp_path, capsys, fault):
    source, message = BAD_PLUGINS[fault]
    if source is not None:
        (tmp_path / "signum.py").write_text(source, encoding="utf-8")
    assert cli.main(["check-optimizer", f"{tmp_path / 'signum.py'}:signum"]) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert captured.out == "" and len(error.splitlines()) == 1 and "signum.py" in error, error
    assert re.search(message, error), error
    assert sorted(path.name for path in tmp_path.iterdir()) == ([] if source is None else ["signum.py"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["adamm"], "neither a built-in method (did you mean 'adam'?) nor an entry point"),
        (["adam", "--hyperparams", "lr="], "--hyperparams: expected name=value pairs"),
        (["adam", "--hyperparams", "lrr=0.1"], "unknown hyperparameter 'lrr'"),
        (["adam", "--variant", "2018"], "unknown optimizer variant '2018'"),
        (["lion", "--variant", "seed-2018"], "lion has no seed-2018 variant"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys, argv, message):
    assert cli.main(["check-optimizer", *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and message in error, error


def test_hyperparams_replace_the_defaults(capsys):
    assert cli.main(["check-optimizer", "sgd", "--hyperparams", "lr=0.5"]) == 0
    output = capsys.readouterr().out
    assert "lr = 0.5" in output.splitlines()[0]
    assert re.search(r"PASS  descent .* -> (\S+) after", output)


def test_an_installed_entry_point_is_checked_by_its_name(tmp_path, monkeypatch, capsys):
    install_entry_point(tmp_path, monkeypatch, "signum_check", "signum_check")
    assert cli.main(["check-optimizer", "signum_check"]) == 0
    assert capsys.readouterr().out.startswith("Signum (entry point 'signum_check'")
    sys.modules.pop("signum_check", None)
