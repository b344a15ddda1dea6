"""``reportgen bench``: how fast the engine trains, next to a plain 2018 loop, torch.optim and the machine's floor.

In one run on one machine it prints

1. the floor (``reportgen.bench.floor``): this machine's memory bandwidth,
   random-number throughput and arithmetic rates, and per method the bytes a
   step must move, the random numbers it must draw and the divisions, square
   roots and logarithms its definition evaluates, as a time no implementation
   of it can beat; and which methods the fused engine keeps within 2x of it;
2. steps per second of ``reportgen.training.engine``, with the NumPy parts
   only and with the fused kernels, for each of the twelve methods in both
   variants (medians over ``--repeats``, the trainers taking turns in each
   repeat, after one untimed run per method that loads or compiles the
   kernels), and how close the fused engine is to the floor; beside the
   seed-2018 rows the same runs trained by a plain loop written the 2018
   way (``reportgen.bench.plain_2018``), beside the textbook
   rows of a-h the same runs in torch.optim (eager, one thread) when torch is
   installed (``reportgen.bench.torch_side``), each as a ratio to the fused
   engine;
3. the wall time of the whole seed-2018 preset (12 methods x 100 epochs x
   50 images, batch 1), measured (with --quick over a few epochs, projected):
   by the plain loop and by the engine in one process, each run by the one
   right after the other, so a slow spell of this noisy machine falls on
   both; by the engine in a process pool over all cores, the way ``reportgen
   run`` trains; and the two targets per core, plain loop / engine at least
   3x and torch / fused engine on the textbook a-h at least 2x;
4. the wall time of ``reportgen build`` from scratch in a fresh directory, by
   stage: of both default presets and the report, against its 90 s budget;
   of the suite preset and its site, against its 10-minute budget.

Every trainer here runs on one BLAS thread, one run per core, as the engine's
pool does; the seeding of a run (its weights and noise stream) is not timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen import config, optimizers
from reportgen.bench import plain_2018
from reportgen.bench.floor import Floor, floor, measure_machine
from reportgen.bench.torch_side import TORCH_METHODS, torch_seconds_per_step, torch_version
from reportgen.errors import ConfigError, RunError
from reportgen.training import engine, executors, seeding
from reportgen.training.results import MethodSpec
from reportgen.training.runner import load_split
from reportgen.training.tasks import RunSpec
from reportgen.training.trainer import train_one

PRESET = "seed-2018"
QUICK_PRESET_EPOCHS = 5
WARM_UP_IMAGES = 5
PLAIN_LOOP_TARGET = 3  # per core, the seed-2018 preset against the plain 2018 loop (issue 14)
TORCH_TARGET = 2  # per core, the textbook a-h against torch.optim eager


def engine_train(spec: RunSpec, split, weights, noise):
    return engine.train(spec, split, weights, noise, seeding.order_stream(spec.seed))


def plain_train(spec: RunSpec, split, weights, noise):
    # One BLAS thread, as each engine worker: per core, and OpenBLAS's waking threads would only slow these small products.
    with threadpool_limits(limits=1, user_api="blas"):
        return plain_2018.train(spec, split.X_train, split.y_train, weights, noise)


def seconds_per_step(train, spec: RunSpec, split) -> float:
    """Seconds per step of one ``train(spec, split, weights, noise)``; the run's weights and noise are drawn untimed."""
    weights = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
    noise = seeding.noise_stream(spec.seed, spec.noise_variant, split.pool_size, spec.sizes, spec.noise_stream)
    started = time.perf_counter()
    train(spec, split, weights, noise)
    return (time.perf_counter() - started) / (spec.epochs * -(-len(split.X_train) // spec.batch_size))


def textbook_twin(spec: RunSpec) -> RunSpec:
    """The same run with the method's textbook rule, defaults and ELU."""
    name = spec.method.name
    hyperparams = optimizers.create(name, "textbook").hyperparams
    return dataclasses.replace(spec, method=MethodSpec(name, spec.method.letter, "textbook", hyperparams), activation="elu")


def preset_seconds(specs, split, workers: int) -> float:
    started = time.perf_counter()
    for spec, outcome in executors.create("process", workers).run(train_one, specs, split):
        if isinstance(outcome, BaseException):
            raise outcome
    return time.perf_counter() - started


def warm_up(spec: RunSpec, split) -> None:
    """One short untimed run: the first call of each numba kernel loads or compiles it (seen once: 174 steps/s
    fused against 496 with the NumPy parts, for Adagrad's first timed run)."""
    few = dataclasses.replace(split, X_train=split.X_train[:WARM_UP_IMAGES], y_train=split.y_train[:WARM_UP_IMAGES])
    train_one(dataclasses.replace(spec, epochs=1), few)


@dataclasses.dataclass(frozen=True)
class Row:
    """One method's seconds per step by each trainer (None where it does not apply) and its floor."""

    spec: RunSpec
    numpy: float
    fused: float
    least: Floor
    plain: float | None = None  # the plain 2018 loop: seed-2018 rows
    torch: float | None = None  # torch.optim: textbook rows of the methods it has, when torch is installed


def measure_row(spec: RunSpec, split, epochs: tuple[int, int], repeats: int, lit_fraction: float, machine, torch: str) -> Row:
    """The medians over ``repeats``, the trainers taking turns in each: a slow spell of this machine falls on all alike."""
    plain_epochs, engine_epochs = epochs
    warm_up(spec, split)
    engine_spec = dataclasses.replace(spec, epochs=engine_epochs)
    trainers = {
        "numpy": lambda: seconds_per_step(engine_train, dataclasses.replace(engine_spec, engine="numpy"), split),
        "fused": lambda: seconds_per_step(engine_train, dataclasses.replace(engine_spec, engine="fused"), split),
    }
    if spec.method.variant == PRESET:
        trainers["plain"] = lambda: seconds_per_step(plain_train, dataclasses.replace(spec, epochs=plain_epochs), split)
    elif torch and spec.method.name in TORCH_METHODS:
        weights = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
        steps = engine_epochs * len(split.X_train)
        trainers["torch"] = lambda: torch_seconds_per_step(spec.method.name, spec.method.hyperparams, weights, split.X_train, split.y_train, steps, 1)
    timings = {name: [] for name in trainers}
    for _ in range(repeats):
        for name, measure in trainers.items():
            timings[name].append(measure())
    return Row(spec, least=floor(spec, lit_fraction, machine), **{name: statistics.median(seconds) for name, seconds in timings.items()})


def rate(seconds: float | None) -> str:
    return f"{1 / seconds:>8.0f}/s" if seconds is not None else f"{'-':>10}"


def ratio(slower: float | None, faster: float) -> str:
    return f"{slower / faster:>10.1f}x" if slower is not None else f"{'-':>11}"


def verdict(achieved: float, target: float) -> str:
    return f"(target: {target}x): target {'met' if achieved >= target else 'missed'}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="fewer steps, a shortened preset run and no build (under 40 s)")
    parser.add_argument("--builds-only", action="store_true", help="only the two builds from scratch: the default presets and the suite (about 10 minutes)")
    parser.add_argument("--repeats", type=int, default=None, metavar="N", help="timed repeats per method; the median is shown (default 3, --quick 1)")
    parser.add_argument("--workers", type=int, default=executors.default_workers(), metavar="N", help="processes for the preset run and the build (default: all cores)")
    parser.add_argument("--methods", metavar="A,B", help=f"only these methods (default: all {len(optimizers.ARTICLE_METHODS)})")


def run(options: argparse.Namespace) -> int:
    repeats = options.repeats if options.repeats is not None else (1 if options.quick else 3)
    if repeats < 1 or options.workers < 1:
        raise ConfigError("bench: --repeats and --workers must be at least 1")
    methods = options.methods.split(",") if options.methods else list(optimizers.ARTICLE_METHODS)
    for name in methods:
        if name not in optimizers.ARTICLE_METHODS:
            raise optimizers.unknown_choice("method", name, optimizers.ARTICLE_METHODS)

    if options.builds_only:
        builds(options.workers)
        return 0
    experiment = config.load_preset(PRESET)
    split = load_split(experiment.config)
    preset_specs = [spec for spec in experiment.run_specs() if spec.method.name in methods]
    lit_fraction = float(np.mean(split.X_train != 0))

    machine = measure_machine()
    print(f"reportgen bench: numpy {np.__version__}, {os.cpu_count()} cores, {repeats} repeat(s), medians; "
          f"load average {os.getloadavg()[0]:.1f} (other processes slow every number below)")
    print(f"memory bandwidth (np.copyto, read + write): 64 MB {machine.bandwidth / 1e9:.1f} GB/s, "
          f"1.6 MB (one W1, cache-resident) {machine.cache_bandwidth / 1e9:.1f} GB/s")
    print("generator throughput (a W1's worth at a time): " + ", ".join(f"{name} random {per_second / 1e6:.0f} M/s" for name, per_second in machine.uniforms.items())
          + f", PCG64 standard_normal {machine.normals / 1e6:.0f} M/s, standard_exponential {machine.exponentials / 1e6:.0f} M/s")
    print(f"arithmetic on cache-resident arrays: np.divide {machine.divisions / 1e6:.0f} M/s, np.sqrt {machine.roots / 1e6:.0f} M/s, "
          f"np.log {machine.logs / 1e6:.0f} M/s")
    print(f"training images: {len(split.X_train)}, lit pixels {100 * lit_fraction:.0f}%\n")

    torch = torch_version()
    print(f"plain 2018: the {PRESET} runs trained by one plain loop written the 2018 way (reportgen/bench/plain_2018.py), the same runs")
    print(f"torch.optim: {f'torch {torch}, eager, 1 thread, float64, the textbook runs of a-h' if torch else 'not installed (pip install torch to time it here)'}")
    print("every trainer on one BLAS thread; the fused kernels loaded by one untimed run per method first")
    header = (f"{'variant':<10} {'method':<15} {'plain 2018':>10} {'numpy':>10} {'fused':>10} {'plain/fused':>11} {'torch':>10} {'torch/fused':>11}  "
              f"{'floor MB':>8} {'draws':>7} {'ops':>7} {'floor ms':>8} {'fused ms':>9} {'floor/fused':>12}")
    print(header + "\n" + "-" * len(header))
    rows = []
    for spec in [*preset_specs, *(textbook_twin(spec) for spec in preset_specs)]:
        row = measure_row(spec, split, (1, 2) if options.quick else (2, 6), repeats, lit_fraction, machine, torch)
        rows.append(row)
        least = row.least
        print(f"{spec.method.variant:<10} {spec.method.name:<15} {rate(row.plain)} {rate(row.numpy)} {rate(row.fused)} {ratio(row.plain, row.fused)} "
              f"{rate(row.torch)} {ratio(row.torch, row.fused)}  {least.bytes / 1e6:>8.1f} {least.uniforms + least.normals:>7} "
              f"{least.operations:>7} {1e3 * least.seconds:>8.3f} {1e3 * row.fused:>9.3f} {least.seconds / row.fused:>11.0%}")
    far = [f"{row.spec.method.variant} {row.spec.method.name} ({row.fused / row.least.seconds:.1f}x)" for row in rows if row.fused > 2 * row.least.seconds]
    print(f"within 2x of the floor: {len(rows) - len(far)} of {len(rows)}" + (f"; beyond it: {', '.join(far)}" if far else ""))
    compared = per_core_summary(rows)
    print()
    preset_section(preset_specs, split, options, compared, torch)
    if options.quick:
        print("\nreportgen build from scratch: not timed with --quick")
    else:
        builds(options.workers)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


def per_core_summary(rows: list[Row]) -> float | None:
    """Print the mean step of each comparison; torch's speed ratio on the methods it has, None without torch."""
    plain = [(row.plain, row.fused) for row in rows if row.plain is not None]
    theirs, ours = (sum(times) for times in zip(*plain))
    print(f"{PRESET}, {len(plain)} method{'s' if len(plain) != 1 else ''}: plain 2018 loop {1e3 * theirs / len(plain):.3f} ms per step, "
          f"fused engine {1e3 * ours / len(plain):.3f} ms: {theirs / ours:.2f}x the plain loop's speed")
    against_torch = [(row.torch, row.fused) for row in rows if row.torch is not None]
    if not against_torch:
        return None
    theirs, ours = (sum(times) for times in zip(*against_torch))
    methods = f"{len(against_torch)} textbook method{'s' if len(against_torch) != 1 else ''}"
    print(f"per core, the {methods} torch.optim has: torch {1e3 * theirs / len(against_torch):.3f} ms per step, "
          f"fused engine {1e3 * ours / len(against_torch):.3f} ms: {theirs / ours:.2f}x torch's speed (target: {TORCH_TARGET}x)")
    return theirs / ours


def preset_section(preset_specs, split, options, against_torch: float | None, torch: str) -> None:
    """The preset's wall time: by the plain loop and the engine in one process, run by run in turn, and by the engine
    over all cores; the two per-core targets."""
    epochs = preset_specs[0].epochs
    run_epochs = QUICK_PRESET_EPOCHS if options.quick else epochs
    shortened = [dataclasses.replace(spec, epochs=run_epochs) for spec in preset_specs]
    how = "measured" if run_epochs == epochs else f"measured over {run_epochs} epochs, projected"
    steps = run_epochs * len(split.X_train)
    plain = one_process = 0.0
    for spec in shortened:  # each run by the plain loop, then by the engine: a slow spell falls on both
        plain += seconds_per_step(plain_train, spec, split) * steps * epochs / run_epochs
        one_process += seconds_per_step(engine_train, spec, split) * steps * epochs / run_epochs
    print(f"{PRESET} preset, {len(preset_specs)} of {len(optimizers.ARTICLE_METHODS)} methods x {epochs} epochs x {len(split.X_train)} images, "
          f"batch 1 ({how}):")
    lines = [("plain 2018 loop, one process", plain, ""), ("engine, one process", one_process, "(each run right after the plain loop's)")]
    if options.workers > 1:
        all_workers = preset_seconds(shortened, split, options.workers) * epochs / run_epochs
        lines.append((f"engine, pool of {options.workers} workers", all_workers, f"-> {plain / all_workers:.1f}x the plain loop"))
    for label, seconds, note in lines:
        print(f"  {label + ':':<32}{seconds:7.1f} s {note}".rstrip())
    print(f"  per core, plain loop / engine in one process: {plain / one_process:.2f}x {verdict(plain / one_process, PLAIN_LOOP_TARGET)}")
    if against_torch is not None:
        torch_line = f"{against_torch:.2f}x {verdict(against_torch, TORCH_TARGET)}"
    else:
        torch_line = f"not measured ({'none of these methods is one torch.optim has' if torch else 'torch is not installed'})"
    print(f"  per core, torch.optim / fused engine on the textbook a-h: {torch_line}")


STAGE_LINE = re.compile(r"^(?P<stage>.+?): (?:trained|reused) .* in (?P<seconds>[0-9.]+) s")
RENDER_LINE = re.compile(r"^(?:report|site) written in (?P<seconds>[0-9.]+) s")
BUILD_BUDGET_SECONDS = 90
SUITE_PRESET, SUITE_BUDGET_SECONDS = "suite", 600


def build_time(workers: int, presets: tuple[str, ...] = (), budget: float = BUILD_BUDGET_SECONDS) -> float:
    """Time ``reportgen build`` of ``presets`` (none: the default ones) from scratch in a fresh directory, as a
    newcomer runs it; print it by stage against ``budget``."""
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as out:
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "-m", "reportgen", "build", "--out", out, "--workers", str(workers), *(f"--preset={name}" for name in presets)],
            capture_output=True, text=True,
        )
        seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RunError(f"bench: reportgen build failed (exit {finished.returncode}): {finished.stderr.strip().splitlines()[-1:]}")
    pools: dict[str, float] = {}  # the tunings train in one pool, then the experiments in another; each prints the pool's time
    trained, render_seconds = [], 0.0
    for line in finished.stderr.splitlines():
        if match := STAGE_LINE.match(line):
            trained.append(match["stage"])
            pool = "tuning" if match["stage"].endswith(" tuning") else "runs"
            pools[pool] = max(pools.get(pool, 0.0), float(match["seconds"]))
        elif match := RENDER_LINE.match(line):
            render_seconds = float(match["seconds"])
    stages = [f"{pool} {seconds:.1f} s" for pool, seconds in pools.items()] + [f"render {render_seconds:.1f} s"]
    verdict = "within" if seconds <= budget else "over"
    what = f"--preset {' '.join(presets)}" if presets else "default presets"
    print(f"\nreportgen build from scratch ({what}, {len(trained)} trainings, {workers} workers): {seconds:.1f} s ({', '.join(stages)}); "
          f"{verdict} the {budget:g} s budget")
    return seconds


def builds(workers: int) -> None:
    """Both builds a newcomer runs: the default report, then the suite's site."""
    build_time(workers)
    build_time(workers, (SUITE_PRESET,), SUITE_BUDGET_SECONDS)
