"""The checks of ``reportgen check-optimizer`` (``conformance``), each giving PASS, FAIL or NOTE with what it measured.

They run the method as training does, through ``optimizers.create``, on
f(w) = 1/2 sum c w^2 with c drawn in [0.5, 2] and weight matrices of the
network's kind: the gradient c w is exact and cheap, so a thousand steps take
milliseconds. Only the allocation check uses weights of the network's size.
"""

from __future__ import annotations

import math
import re
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from latex2mathml.converter import convert

from reportgen import optimizers
from reportgen.optimizers import plugins
from reportgen.verification import parity

SHAPES = ((12, 8), (8, 6), (6, 1))  # weight matrices only, as the network has: Muon takes no other shape
NETWORK_SHAPES = ((784, 256), (256, 128), (128, 1))  # the textbook network's weights, for the allocation a step makes
SEED = 0
CONTRACT_STEPS = 10
DETERMINISM_STEPS = 50
DESCENT_STEPS = 100
FINITE_STEPS = 1000
UNKNOWN_COMMAND = re.compile(r"<mi>(\\[A-Za-z]+|[{}])</mi>")  # what latex2mathml makes of a command it lacks, or a stray brace
WARM_UP_STEPS = 2  # a method may allocate its buffers on its first steps; the steps after those are measured


@dataclass(frozen=True)
class Finding:
    verdict: str  # "PASS", "FAIL" or "NOTE"
    check: str
    detail: str


@dataclass(frozen=True)
class Subject:
    """The method under test: the name ``optimizers.create`` knows, how the user named it, and its reference vectors."""

    key: str
    label: str
    vectors: Path | None  # a plugin's declared vectors file; None for a built-in (the shipped files) or a plugin without


@dataclass(frozen=True)
class Trial:
    """The method and the settings every check builds it with."""

    subject: Subject
    variant: str
    hyperparams: dict

    def build(self):
        return optimizers.create(self.subject.key, self.variant, **self.hyperparams)


class Quadratic:
    """f(w) = 1/2 sum c w^2 over the weights, minimum 0 at w = 0."""

    def __init__(self, shapes, dtype=np.float64):
        rng = np.random.Generator(np.random.PCG64(SEED))
        self.curvature = [rng.uniform(0.5, 2.0, shape).astype(dtype) for shape in shapes]
        self.start = [rng.standard_normal(shape).astype(dtype) for shape in shapes]

    def weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.start]

    def loss(self, weights) -> float:
        return float(sum(0.5 * np.sum(c * w * w) for c, w in zip(self.curvature, weights)))


class Run:
    """One method training on a quadratic, a step at a time, as the trainer drives it."""

    def __init__(self, optimizer, problem: Quadratic):
        self.optimizer, self.problem = optimizer, problem
        self.weights = problem.weights()
        self.grads = [np.empty_like(w) for w in self.weights]  # refilled each step: update uses them as scratch
        self.state = optimizer.init(self.weights, np.random.Generator(np.random.PCG64(SEED)))

    def step(self) -> list[np.ndarray]:
        """One update; the weights it returns (which should be the ones it was given) are the run's from now on."""
        grads = None
        if self.optimizer.gradient != "none":
            for c, point, g in zip(self.problem.curvature, self.optimizer.lookahead(self.weights, self.state), self.grads):
                np.multiply(c, point, out=g)
            grads = self.grads
        returned, self.state = self.optimizer.update(self.weights, grads, self.state)
        self.weights = list(returned)
        return self.weights


def _equation(trial: Trial) -> list[Finding]:
    """The update equation converts to MathML as the report draws it: balanced braces, no command latex2mathml does not know
    (it would print it as a letter), no stray brace. A LaTeX slip otherwise shows only as a malformed formula in the report."""
    latex = optimizers.describe(trial.subject.key, trial.variant).equation
    unescaped = latex.replace(r"\{", "").replace(r"\}", "")
    if unescaped.count("{") != unescaped.count("}"):
        return [Finding("FAIL", "equation", f"{unescaped.count('{')} opening braces against {unescaped.count('}')} closing ones")]
    try:
        mathml = convert(latex)
    except Exception as error:  # latex2mathml raises many types; a formula it cannot read is the finding
        return [Finding("FAIL", "equation", f"latex2mathml cannot read it: {plugins.first_line(error)}")]
    unknown = sorted(set(UNKNOWN_COMMAND.findall(mathml)))
    if unknown:
        return [Finding("FAIL", "equation", f"unknown to latex2mathml, printed as text: {', '.join(unknown)}")]
    return [Finding("PASS", "equation", f"{latex.count(chr(92) * 2) + 1} line(s) convert to MathML")]


def _steps(trial: Trial) -> list[Finding]:
    """The contract of a step, on float64 and float32 weights: the same arrays, changed in place, same shapes
    and dtypes; for a look-ahead method, a point shaped like the weights."""
    kind = trial.build().gradient
    problems = {"in place": [], "shapes and dtypes": [], "lookahead": []}
    for dtype in (np.float64, np.float32):
        run = Run(trial.build(), Quadratic(SHAPES, dtype))
        for step in range(1, 4):
            given = list(run.weights)
            where = f"(step {step}, {np.dtype(dtype)} weights)"
            if kind == "lookahead":
                points = run.optimizer.lookahead(run.weights, run.state)
                problems["lookahead"] += [
                    f"point {i} is {_describe(p)}, the weight {_describe(w)} {where}"
                    for i, (p, w) in enumerate(zip(points, given)) if not isinstance(p, np.ndarray) or p.shape != w.shape
                ]
            returned = run.step()
            if len(returned) != len(given):
                problems["in place"].append(f"update returned {len(returned)} weights for {len(given)} {where}")
            problems["in place"] += [f"update returned a new array for weight {i} {where}" for i, (new, old) in enumerate(zip(returned, given)) if new is not old]
            problems["shapes and dtypes"] += [
                f"weight {i}: {_describe(old)} became {_describe(new)} {where}"
                for i, (new, old) in enumerate(zip(returned, given)) if _describe(new) != _describe(old)
            ]
    passed = {
        "in place": "update changes the weights it is given and returns them (float64, float32)",
        "shapes and dtypes": "unchanged by every step (float64, float32)",
        "lookahead": "arrays of the weights' shapes (float64, float32)",
    }
    findings = []
    for name, found in problems.items():
        if found:
            findings.append(Finding("FAIL", name, found[0] + (f"; {len(found) - 1} more" if len(found) > 1 else "")))
        elif name == "lookahead" and kind != "lookahead":
            findings.append(Finding("NOTE", name, f"does not apply: the gradient is not taken at a look-ahead point ({kind})"))
        else:
            findings.append(Finding("PASS", name, passed[name]))
    return findings


def _walk(value, path: str = "state") -> Iterator[tuple[str, object]]:
    """Every entry of a state, containers and leaves, by its path."""
    yield path, value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        for field in value._fields:
            yield from _walk(getattr(value, field), f"{path}.{field}")
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}[{key!r}]")


def _describe(value) -> str:
    """An entry's type, with an array's dtype and shape and a container's length."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, (tuple, list, dict)) and not hasattr(value, "_fields"):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _state_structure(trial: Trial) -> list[Finding]:
    run = Run(trial.build(), Quadratic(SHAPES))
    before = {path: _describe(entry) for path, entry in _walk(run.state)}
    for _ in range(CONTRACT_STEPS):
        run.step()
    after = {path: _describe(entry) for path, entry in _walk(run.state)}
    changed = [path for path in dict.fromkeys([*before, *after]) if before.get(path) != after.get(path)]
    if not changed:
        return [Finding("PASS", "state structure", f"the same {len(before)} entries (types, array shapes and dtypes) after {CONTRACT_STEPS} steps as after init")]
    path = changed[0]
    return [Finding("FAIL", "state structure", f"{path}: {before.get(path, 'absent')} after init, {after.get(path, 'absent')} after {CONTRACT_STEPS} steps ({len(changed)} entries differ of {len(set(before) | set(after))})")]


def _determinism(trial: Trial) -> list[Finding]:
    trajectories = []
    for _ in range(2):
        run = Run(trial.build(), Quadratic(SHAPES))
        trajectories.append([b"".join(w.tobytes() for w in run.step()) for _ in range(DETERMINISM_STEPS)])
    differ = [step for step, (first, second) in enumerate(zip(*trajectories), start=1) if first != second]
    if differ:
        return [Finding("FAIL", "determinism", f"two runs with seed {SEED} differ from step {differ[0]} on: draw every random number from the rng init receives")]
    return [Finding("PASS", "determinism", f"two runs of {DETERMINISM_STEPS} steps with seed {SEED} agree byte for byte")]


def _allocation(trial: Trial) -> list[Finding]:
    """A NOTE, never a failure: a method may need the memory; the built-ins keep their buffers in their state."""
    run = Run(trial.build(), Quadratic(NETWORK_SHAPES))
    for _ in range(WARM_UP_STEPS):
        run.step()
    tracemalloc.start()
    try:
        run.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    weight = run.weights[0].nbytes
    shapes = [" x ".join(map(str, shape)) for shape in NETWORK_SHAPES]
    size = f"{peak / 1e6:.3g} MB" if peak >= 1e5 else f"{peak / 1e3:.3g} kB"
    measured = f"{size} at most during a warmed-up step on {', '.join(shapes)} float64 weights"
    if peak < weight / 2:
        return [Finding("PASS", "allocation", f"no weight-sized array: {measured}")]
    return [Finding("NOTE", "allocation", f"{measured}, {peak / weight:.1f} times the {shapes[0]} weight (most built-ins allocate none: their buffers live in their state)")]


def _descent(trial: Trial) -> list[Finding]:
    optimizer = trial.build()
    if optimizer.gradient == "none":
        return [Finding("NOTE", "descent", "does not apply: the method takes no gradient (kind none), so nothing steers it downhill")]
    start, end = _losses(optimizer)
    detail = f"loss {start:.6g} -> {end:.6g} after {DESCENT_STEPS} steps on 1/2 sum c w^2, c in [0.5, 2]"
    if end < start:
        return [Finding("PASS", "descent", detail)]
    quirk = _quirk_that_climbs(trial)
    if quirk is not None:
        return [Finding("NOTE", "descent", f"{detail}: a quirk this variant keeps from the 2018 script, \"{quirk.text}\" (undone, the loss falls)")]
    return [Finding("FAIL", "descent", detail)]


def _losses(optimizer) -> tuple[float, float]:
    """The loss at the start and after DESCENT_STEPS steps."""
    run = Run(optimizer, Quadratic(SHAPES))
    start = run.problem.loss(run.weights)
    for _ in range(DESCENT_STEPS):
        run.step()
    return start, run.problem.loss(run.weights)


def _quirk_that_climbs(trial: Trial):
    """The documented quirk of a built-in's seed-2018 variant that, undone alone, makes the loss fall; or None."""
    if plugins.is_plugin(trial.subject.key):
        return None
    for quirk in optimizers.describe(trial.subject.key, trial.variant).quirks:
        if quirk.fix:
            start, end = _losses(optimizers.create(trial.subject.key, trial.variant, **{**trial.hyperparams, **quirk.fix}))
            if end < start:
                return quirk
    return None


def _finite(trial: Trial) -> list[Finding]:
    run = Run(trial.build(), Quadratic(SHAPES))
    for step in range(1, FINITE_STEPS + 1):
        bad = [index for index, w in enumerate(run.step()) if not np.isfinite(w).all()]
        if bad:
            return [Finding("FAIL", "finite", f"weight {bad[0]} is NaN or infinite after step {step}")]
    arrays = {path: entry for path, entry in _walk(run.state) if isinstance(entry, np.ndarray) and np.issubdtype(entry.dtype, np.number)}
    bad = [path for path, entry in arrays.items() if not np.isfinite(entry).all()]
    if bad:
        return [Finding("FAIL", "finite", f"{bad[0]} is NaN or infinite after {FINITE_STEPS} steps (the weights are finite)")]
    return [Finding("PASS", "finite", f"the weights and {len(arrays)} state arrays after {FINITE_STEPS} steps")]


def _parity(trial: Trial) -> list[Finding]:
    """The plugin's declared vectors, or the shipped ones that record the built-in."""
    chosen = trial.subject
    if chosen.vectors is not None:
        try:
            recorded = (parity.read(chosen.vectors.read_bytes()),)
        except (OSError, KeyError, ValueError) as error:
            return [Finding("FAIL", "parity", f"cannot read the declared vectors {chosen.vectors}: {plugins.first_line(error)}")]
        cases = [(source, method, setting) for source in recorded for method, setting in source.cases]
    elif plugins.is_plugin(chosen.key):
        return [Finding("NOTE", "parity", "no reference vectors declared (declare(..., vectors=\"file.npz\"), in reportgen.verification.parity's format)")]
    else:
        cases = [(source, method, setting) for source in parity.sources() for method, setting in source.cases if method == chosen.key]
        if trial.variant != "textbook" or not cases:
            return [Finding("NOTE", "parity", f"no reference vectors record {chosen.key} ({trial.variant})")]
    if not cases:
        return [Finding("FAIL", "parity", f"the declared vectors {chosen.vectors} record no case")]
    rows = [(*parity.case_deviation(source.arrays, method, setting, chosen.key), f"{source.library} {method}/{setting}") for source, method, setting in cases]
    deviation, tolerance, case = max(rows, key=lambda row: row[0] / row[1] if not math.isnan(row[0]) else math.inf)
    detail = f"largest relative deviation {deviation:.3g} (tolerance {tolerance:g}) over {len(rows)} recorded cases, at {case}"
    return [Finding("PASS" if deviation <= tolerance else "FAIL", "parity", detail)]


SUITES = (
    ("equation", _equation), ("in place", _steps), ("state structure", _state_structure), ("determinism", _determinism),
    ("allocation", _allocation), ("descent", _descent), ("finite", _finite), ("parity", _parity),
)
