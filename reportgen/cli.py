"""The ``reportgen`` command line.

Exit codes: 0 success, 1 a run or render failed, 2 a usage or configuration
error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM: ``timeout``, CI
cancellation). Errors print as one line; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
import warnings
import webbrowser
from pathlib import Path

from reportgen import config, outputs, pipeline
from reportgen.problems import NETWORK_PROBLEM
from reportgen.errors import ConfigError, ReportgenError, RunError
from reportgen.training import executors
from reportgen.training.store import ResultStore

DEFAULT_OUT = Path("output")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit code 2, like every other usage error
        raise ConfigError(f"{self.prog}: {message}")


def _experiment_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, action="append", metavar="FILE", help="an experiment TOML file (repeatable)")
    source.add_argument("--preset", action="append", metavar="NAME", help=f"a shipped preset (repeatable; default: {' and '.join(config.DEFAULT_PRESETS)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="output directory (default: ./output)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="retrain even if matching results are stored")
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores; 1 trains in this process)")
    parser.add_argument("--executor", choices=executors.EXECUTORS, help="where runs train (default: process, or [executor] kind in the config)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://10.0.0.5:8786 (dask only; default: a local cluster)")
    parser.add_argument("--engine", choices=config.ENGINES, help="fused: update kernels where they apply (default); numpy: NumPy parts only; same numbers")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reportgen", description="Train gradient-descent optimizers on NumPy networks and problems, and publish the comparison as a report or a site.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", help="train what is missing, then render the report")
    _experiment_options(build)
    _training_options(build)
    build.add_argument("--open", action="store_true", help="open the report in a browser when done")
    build.add_argument("--single-file", action="store_true", help="a suite's site as one page (default: a page per problem and method)")

    run = commands.add_parser("run", help="train only (results go to OUT/results)")
    _experiment_options(run)
    _training_options(run)

    sweep = commands.add_parser("sweep", help="train a learning-rate sweep ([sweep] in the config, or these flags), then render the report")
    _experiment_options(sweep)
    _training_options(sweep)
    sweep.add_argument("--methods", metavar="A,B", help="methods to sweep (default: every method with a learning rate)")
    sweep.add_argument("--lr-grid", metavar="LOW:HIGH:POINTS", help="log-spaced learning rates, e.g. 1e-5:1e-1:13")
    sweep.add_argument("--eta-grid", metavar="LOW:HIGH:POINTS", help="log-spaced eta for the noise methods that have one")
    sweep.add_argument("--seeds", type=int, metavar="N", help="seeds per cell: the experiment's, then 0, 1, 2, ...")
    sweep.add_argument("--open", action="store_true", help="open the report in a browser when done")

    ablate = commands.add_parser("ablate", help="train the quirk ablations (each 2018 quirk changed alone, paired seeds), then render the report")
    _experiment_options(ablate)
    _training_options(ablate)
    ablate.add_argument("--seeds", type=int, metavar="N", help="seeds per arm: the experiment's, then 0, 1, 2, ... (default 6, or [ablation] seeds)")
    ablate.add_argument("--open", action="store_true", help="open the report in a browser when done")

    render = commands.add_parser("render", help="render the report from stored results; never trains")
    _experiment_options(render)
    render.add_argument("--single-file", action="store_true", help="a suite's site as one page (default: a page per problem and method)")

    commands.add_parser("presets", help="list the shipped presets")

    check = commands.add_parser("check-optimizer", help="run the conformance suite on a method and print what fails (exit 1 when a check fails)")
    check.add_argument("method", metavar="FILE.py:BUILDER|NAME", help="a plugin file and its builder, an installed entry point's name, or a built-in's name")
    check.add_argument("--variant", default="textbook", help="a built-in's variant: textbook (default) or seed-2018")
    check.add_argument("--hyperparams", metavar="NAME=VALUE,...", help="instead of the defaults, as in a [methods.NAME] table, e.g. lr=0.01,betas=[0.9,0.99]")

    from reportgen import bench

    bench.add_arguments(commands.add_parser("bench", help="measure the engine against a plain 2018 loop, torch.optim and this machine's floor"))
    return parser


def on_site(experiment: config.Experiment) -> bool:
    """A suite's problem, or a problem other than the 2018 network: shown on a site (reportgen.site), not in the report."""
    return bool(experiment.suite) or experiment.config["problem"]["name"] != NETWORK_PROBLEM


def _experiments(args: argparse.Namespace) -> list[config.Experiment]:
    files = [config.load_all(path) for path in args.config] if args.config else [config.load_preset_all(name) for name in (args.preset or config.DEFAULT_PRESETS)]
    experiments = [experiment for experiments in files for experiment in experiments]
    if getattr(args, "engine", None):
        experiments = [experiment.with_engine(args.engine) for experiment in experiments]
    names = [experiment.name for experiment in experiments]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise ConfigError(f"experiment name {duplicated[0]!r} is given twice; each experiment needs its own name")
    if args.command != "run" and any(on_site(e) for e in experiments):
        suites = {e.suite or e.name for e in experiments}
        if args.command in ("sweep", "ablate") or not all(map(on_site, experiments)) or len(suites) > 1:
            raise ConfigError(f"{args.command}: {', '.join(sorted(suites))}: a suite of problems builds a site of its own; give it alone to `build` or `render`")
        pipeline.check_site(experiments)
    return experiments


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "presets":
        for name in config.preset_names():
            print(f"{name:12} {config.load_preset_all(name)[0].description}")
        return 0
    if args.command == "check-optimizer":
        from reportgen.verification import conformance

        return conformance.run(args.method, args.variant, args.hyperparams)
    if args.command == "bench":
        from reportgen import bench

        return bench.run(args)

    experiments = _experiments(args)
    out = outputs.check_output_dir(args.out)
    store = ResultStore(out / "results")
    with outputs.locked(out):
        trained = pipeline.stored(args, experiments, store) if args.command == "render" else pipeline.train(args, experiments, store)
        if args.command == "run":
            return 0
        site = any(map(on_site, experiments))
        index = pipeline.render_site(args, experiments, trained, out, store) if site else pipeline.render_report(args, trained, out)
        if args.command != "render":
            print(index)
        if getattr(args, "open", False):
            webbrowser.open(index.as_uri())
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds as Ctrl-C does: workers stopped, finished runs kept."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numeric trouble is detected and reported, not warned about
            return _dispatch(args)
    except ReportgenError as error:
        if debug:
            traceback.print_exc()
        print(f"reportgen: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as interrupt:
        how = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        print(f"reportgen: {how}; finished runs are kept and the next build resumes from them", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    except Exception as error:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(f"reportgen: internal error: {type(error).__name__}: {error} (run with --debug for the traceback)", file=sys.stderr)
        return 1
