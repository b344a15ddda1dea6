"""``reportgen bench``: how fast the engine trains, next to the reference and the machine's floor.

In one run on one machine it prints

1. the floor: this machine's memory bandwidth (``np.copyto`` of 64 MB) and
   random-number throughput, and per method the bytes a step must move and
   the random numbers it must draw, as a time no implementation can beat;
2. steps per second of ``reportgen.training.reference`` and of ``.engine``,
   with the NumPy parts only and with the fused kernels, for each of the
   twelve methods in both variants (medians over ``--repeats``), the
   reference-to-fused ratio per method and overall, and how close the fused
   engine is to the floor; when torch is installed, the same textbook runs
   of a-h in torch.optim (eager, one thread) and their ratio to the engine
   (``reportgen.bench.torch_side``);
3. the wall time of the whole seed-2018 preset (12 methods x 100 epochs x
   50 images, batch 1): the engine measured in a process pool over all
   cores, the way ``reportgen run`` trains, and the reference projected from
   its measured step rate (run for real it takes minutes);
4. the wall time of ``reportgen build`` from scratch (both default presets
   and the report) in a fresh directory, by stage, against its 90 s budget.
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

from reportgen import config, optimizers
from reportgen.bench.floor import floor, measure_machine
from reportgen.bench.torch_side import TORCH_METHODS, torch_seconds_per_step, torch_version
from reportgen.errors import ConfigError, RunError
from reportgen.training import engine, executors, reference, seeding
from reportgen.training.results import MethodSpec
from reportgen.training.runner import load_split
from reportgen.training.tasks import RunSpec
from reportgen.training.trainer import train_one, train_with

PRESET = "seed-2018"
def seconds_per_step(trainer, spec: RunSpec, split, repeats: int) -> float:
    steps = spec.epochs * -(-len(split.X_train) // spec.batch_size)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        train_with(trainer, spec, split)
        timings.append((time.perf_counter() - started) / steps)
    return statistics.median(timings)


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="fewer steps, a shortened preset run and no build (under 30 s)")
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

    experiment = config.load_preset(PRESET)
    split = load_split(experiment.config["data"])
    preset_specs = [spec for spec in experiment.run_specs() if spec.method.name in methods]
    steps_per_epoch = -(-len(split.X_train) // preset_specs[0].batch_size)
    lit_fraction = float(np.mean(split.X_train != 0))
    reference_epochs, engine_epochs = (1, 2) if options.quick else (2, 6)

    machine = measure_machine()
    print(f"reportgen bench: numpy {np.__version__}, {os.cpu_count()} cores, {repeats} repeat(s), medians; "
          f"load average {os.getloadavg()[0]:.1f} (other processes slow every number below)")
    print(f"memory bandwidth (np.copyto, read + write): 64 MB {machine.bandwidth / 1e9:.1f} GB/s, "
          f"1.6 MB (one W1, cache-resident) {machine.cache_bandwidth / 1e9:.1f} GB/s")
    print("generator throughput: " + ", ".join(f"{name} random {rate / 1e6:.0f} M/s" for name, rate in machine.uniforms.items())
          + f", PCG64 standard_normal {machine.normals / 1e6:.0f} M/s, standard_exponential {machine.exponentials / 1e6:.0f} M/s")
    print(f"training images: {len(split.X_train)}, lit pixels {100 * lit_fraction:.0f}%\n")

    torch = torch_version()
    print(f"torch.optim: {f'torch {torch}, eager, 1 thread, float64, the textbook runs of a-h' if torch else 'not installed (pip install torch to time it here)'}")
    header = (f"{'variant':<10} {'method':<15} {'reference':>10} {'numpy':>10} {'fused':>10} {'ratio':>6} {'torch':>10} {'torch/fused':>11}  "
              f"{'floor MB':>8} {'draws':>7} {'floor ms':>8} {'fused ms':>9} {'floor/fused':>12}")
    print(header + "\n" + "-" * len(header))
    rows, against_torch = [], []
    for variant_specs in (preset_specs, [textbook_twin(spec) for spec in preset_specs]):
        for spec in variant_specs:
            slow = seconds_per_step(reference, dataclasses.replace(spec, epochs=reference_epochs), split, repeats)
            plain = seconds_per_step(engine, dataclasses.replace(spec, epochs=engine_epochs, engine="numpy"), split, repeats)
            fast = seconds_per_step(engine, dataclasses.replace(spec, epochs=engine_epochs, engine="fused"), split, repeats)
            least = floor(spec, lit_fraction, machine)
            rows.append((spec, slow, fast))
            torch_cells = f"{'-':>10} {'-':>11}"
            if torch and spec.method.variant == "textbook" and spec.method.name in TORCH_METHODS:
                weights = seeding.initial_weights(spec.seed, split.pool_size, spec.sizes)
                theirs = torch_seconds_per_step(spec.method.name, spec.method.hyperparams, weights, split.X_train, split.y_train, engine_epochs * steps_per_epoch, repeats)
                against_torch.append((theirs, fast))
                torch_cells = f"{1 / theirs:>8.0f}/s {theirs / fast:>10.1f}x"
            print(f"{spec.method.variant:<10} {spec.method.name:<15} {1 / slow:>8.0f}/s {1 / plain:>8.0f}/s {1 / fast:>8.0f}/s {slow / fast:>5.1f}x {torch_cells}"
                  f"  {least.bytes / 1e6:>8.1f} {least.uniforms + least.normals:>7} {1e3 * least.seconds:>8.3f} {1e3 * fast:>9.3f} {least.seconds / fast:>11.0%}")
    slow_total = sum(slow for _, slow, _ in rows)
    fast_total = sum(fast for _, _, fast in rows)
    print(f"{'overall':<26} {len(rows) / slow_total:>8.0f}/s {'':>10} {len(rows) / fast_total:>8.0f}/s {slow_total / fast_total:>5.1f}x"
          f"  (mean step: reference {1e3 * slow_total / len(rows):.2f} ms, fused engine {1e3 * fast_total / len(rows):.3f} ms)")
    if against_torch:
        theirs, ours = (sum(times) for times in zip(*against_torch))
        methods = f"{len(against_torch)} textbook method{'s' if len(against_torch) != 1 else ''}"
        print(f"per core, the {methods} torch.optim has: torch {1e3 * theirs / len(against_torch):.3f} ms per step, "
              f"fused engine {1e3 * ours / len(against_torch):.3f} ms: {theirs / ours:.2f}x torch's speed (target: 2x)")
    print()

    epochs = preset_specs[0].epochs
    run_epochs = 5 if options.quick else epochs
    measured = preset_seconds([dataclasses.replace(spec, epochs=run_epochs) for spec in preset_specs], split, options.workers)
    engine_wall = measured * epochs / run_epochs
    reference_serial = sum(slow for spec, slow, _ in rows[: len(preset_specs)]) * epochs * steps_per_epoch
    engine_serial = sum(fast for spec, _, fast in rows[: len(preset_specs)]) * epochs * steps_per_epoch
    how = "measured" if run_epochs == epochs else f"projected from {run_epochs} epochs"
    print(f"{PRESET} preset, {len(preset_specs)} of {len(optimizers.ARTICLE_METHODS)} methods x {epochs} epochs x {len(split.X_train)} images, batch 1:")
    lines = [
        ("engine, one process", engine_serial, f"(projected from its step rates)  -> per core {reference_serial / engine_serial:.1f}x the reference (target: 3x)"),
        (f"engine, pool of {options.workers}", engine_wall, f"({how})"),
        ("reference, one process", reference_serial, f"(projected from its step rate)  -> engine {reference_serial / engine_wall:.1f}x faster"),
        (f"reference, pool of {options.workers}", reference_serial / options.workers, f"(same, ideal split)  -> engine {reference_serial / options.workers / engine_wall:.1f}x faster"),
    ]
    for label, seconds, note in lines:
        print(f"  {label + ':':<24}{seconds:7.1f} s {note}")
    if options.quick:
        print("\nreportgen build from scratch: not timed with --quick")
    else:
        build_time(options.workers)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


STAGE_LINE = re.compile(r"^(?P<stage>.+?): (?:trained|reused) .* in (?P<seconds>[0-9.]+) s")
RENDER_LINE = re.compile(r"^report written in (?P<seconds>[0-9.]+) s")
BUILD_BUDGET_SECONDS = 90


def build_time(workers: int) -> float:
    """Time ``reportgen build`` of the default presets from scratch in a fresh directory, as a newcomer runs it."""
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as out:
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "-m", "reportgen", "build", "--out", out, "--workers", str(workers)], capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RunError(f"bench: reportgen build failed (exit {finished.returncode}): {finished.stderr.strip().splitlines()[-1:]}")
    trained, training_seconds, render_seconds = [], 0.0, 0.0
    for line in finished.stderr.splitlines():
        if match := STAGE_LINE.match(line):  # the experiments train in one pool and report its time
            trained.append(match["stage"])
            training_seconds = max(training_seconds, float(match["seconds"]))
        elif match := RENDER_LINE.match(line):
            render_seconds = float(match["seconds"])
    stages = [f"training {' + '.join(trained)} {training_seconds:.1f} s", f"render {render_seconds:.1f} s"]
    verdict = "within" if seconds <= BUILD_BUDGET_SECONDS else "over"
    print(f"\nreportgen build from scratch (default presets, {workers} workers): {seconds:.1f} s ({', '.join(stages)}); "
          f"{verdict} the {BUILD_BUDGET_SECONDS} s budget")
    return seconds
