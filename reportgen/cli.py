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

from reportgen import config, outputs
from reportgen.problems import NETWORK_PROBLEM
from reportgen.errors import ConfigError, ReportgenError, RunError
from reportgen.formatting import number
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
    parser = _Parser(prog="reportgen", description="Train twelve optimizers on a NumPy network and publish the comparison.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", help="train what is missing, then render the report")
    _experiment_options(build)
    _training_options(build)
    build.add_argument("--open", action="store_true", help="open the report in a browser when done")

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

    commands.add_parser("presets", help="list the shipped presets")

    check = commands.add_parser("check-optimizer", help="run the conformance suite on a method and print what fails (exit 1 when a check fails)")
    check.add_argument("method", metavar="FILE.py:BUILDER|NAME", help="a plugin file and its builder, an installed entry point's name, or a built-in's name")
    check.add_argument("--variant", default="textbook", help="a built-in's variant: textbook (default) or seed-2018")
    check.add_argument("--hyperparams", metavar="NAME=VALUE,...", help="instead of the defaults, as in a [methods.NAME] table, e.g. lr=0.01,betas=[0.9,0.99]")

    from reportgen import bench

    bench.add_arguments(commands.add_parser("bench", help="measure the engine against a plain 2018 loop, torch.optim and this machine's floor"))
    return parser


def _experiments(args: argparse.Namespace) -> list[config.Experiment]:
    files = [config.load_all(path) for path in args.config] if args.config else [config.load_preset_all(name) for name in (args.preset or config.DEFAULT_PRESETS)]
    experiments = [experiment for experiments in files for experiment in experiments]
    if getattr(args, "engine", None):
        experiments = [experiment.with_engine(args.engine) for experiment in experiments]
    names = [experiment.name for experiment in experiments]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise ConfigError(f"experiment name {duplicated[0]!r} is given twice; each experiment needs its own name")
    if args.command != "run" and (others := [e.name for e in experiments if e.config["problem"]["name"] != NETWORK_PROBLEM]):
        raise ConfigError(f"{args.command}: {', '.join(others)}: a problem other than {NETWORK_PROBLEM} has no report yet; `reportgen run` trains and stores it")
    return experiments


def _workers(args: argparse.Namespace) -> int:
    workers = getattr(args, "workers", None)  # render has no --workers: it draws on every core
    if workers is not None and not 1 <= workers <= 256:
        raise ConfigError(f"--workers: {workers} is out of range; expected 1 to 256")
    return workers or executors.default_workers()


def _executor(args: argparse.Namespace, experiments) -> executors.Executor:
    """The command line's choice, else the experiments' [executor] table (they must agree)."""
    tables = {(experiment.executor["kind"], experiment.executor["scheduler"]) for experiment in experiments}
    if len(tables) > 1:
        raise ConfigError(f"executor: the experiments ask for different executors ({', '.join(sorted(kind for kind, _ in tables))}); give --executor")
    kind, scheduler = tables.pop()
    return executors.create(args.executor or kind, _workers(args), args.scheduler or scheduler)


def _sweep_plans(args: argparse.Namespace, experiments) -> dict:
    """Experiment name -> sweep plan: the config's [sweep] table, overridden by the sweep command's flags."""
    from reportgen.sweep import plan

    plans = {}
    for experiment in experiments:
        wanted = dict(experiment.sweep)
        if args.command == "sweep":
            for flag, grid in (("--lr-grid", args.lr_grid), ("--eta-grid", args.eta_grid)):
                if grid is not None:
                    plan.parse_grid(flag, grid)  # so that an error names the flag, not the table key
            flags = {"methods": args.methods and args.methods.split(","), "lr": args.lr_grid, "eta": args.eta_grid, "seeds": args.seeds}
            wanted.update({key: value for key, value in flags.items() if value is not None})
        if wanted or args.command == "sweep":
            plans[experiment.name] = plan.plan(experiment, wanted)
    return plans


def _ablation_plans(args: argparse.Namespace, experiments) -> dict:
    """Experiment name -> ablation plan, for the experiments with one variant that an ablation covers."""
    from reportgen.ablation import plan
    from reportgen.analysis.paired import MIN_PAIRS

    plans = {}
    for experiment in experiments:
        wanted = dict(experiment.ablation)
        if args.command == "ablate" and args.seeds is not None:
            plan.sweep_seeds("--seeds", args.seeds, experiment.seeds)  # so that an error names the flag
            wanted["seeds"] = args.seeds
        if plan.ablatable(experiment):
            plans[experiment.name] = plan.plan(experiment, wanted)
    if args.command == "ablate":
        if not plans:
            raise ConfigError("ablate: no experiment runs all its methods in one variant (seed-2018 or textbook); an ablation needs one")
        if any(len(planned.seeds) < MIN_PAIRS for planned in plans.values()):
            print(f"reportgen: note: fewer than {MIN_PAIRS} seeds give no 95% paired interval; every effect will read \"no effect shown\"", file=sys.stderr)
    return plans


def _ablations(args: argparse.Namespace, plans: dict, store: ResultStore, executor) -> list:
    """``reportgen ablate`` trains them; every other command includes the ones fully stored (the report says how to run the rest)."""
    from reportgen.ablation.run import run_ablation

    ablations = []
    for planned in plans.values():
        if args.command == "ablate":
            ablation = run_ablation(planned, store, executor, force=args.force, quiet=args.quiet)
            print(f"{planned.experiment.name} quirk ablation: {_action(ablation)} in {ablation.seconds:.1f} s", file=sys.stderr)
        else:
            try:
                ablation = run_ablation(planned, store, executor, only_stored=True)
            except RunError:
                continue
        ablations.append(ablation)
    return ablations


def _action(outcome) -> str:
    return f"trained {outcome.trained} runs" + (f", reused {outcome.reused}" if outcome.reused else "") if outcome.trained else f"reused {outcome.reused} stored runs"


def _train(args: argparse.Namespace, experiments, store: ResultStore) -> tuple[list, list, list]:
    from reportgen.sweep.run import run_sweep  # imported here so `presets` and usage errors stay instant
    from reportgen.sweep.tune import tune_all
    from reportgen.training.runner import run_experiments

    sweeps = []
    plans, ablation_plans = _sweep_plans(args, experiments), _ablation_plans(args, experiments)  # checked before any training
    with _executor(args, experiments) as executor:
        experiments, tunings = tune_all(experiments, store, executor, quiet=args.quiet)  # a suite's learning rates, per problem
        for line in tunings:
            print(line, file=sys.stderr)
        outcomes = run_experiments(experiments, store, executor, force=args.force, quiet=args.quiet)
        for experiment, outcome in zip(experiments, outcomes):  # the experiments train in one pool: the time is theirs together
            print(f"{experiment.name}: {_action(outcome)} in {outcome.seconds:.1f} s -> {store.directory(experiment.name, outcome.result_set.key)}", file=sys.stderr)
        for experiment in experiments:
            if experiment.name in plans:
                swept = run_sweep(plans[experiment.name], store, executor, force=args.force, quiet=args.quiet)
                print(f"{experiment.name} sweep: {_action(swept)} in {swept.seconds:.1f} s", file=sys.stderr)
                sweeps.append(swept.analysis)
        ablations = _ablations(args, ablation_plans, store, executor)
    return [outcome.result_set for outcome in outcomes], sweeps, ablations


def _stored(args: argparse.Namespace, experiments, store: ResultStore) -> tuple[list, list, list]:
    """The stored results and sweeps of the experiments; a RunError names what is missing."""
    from reportgen.sweep.run import run_sweep
    from reportgen.training.runner import stored

    result_sets = []
    for experiment in experiments:
        found = stored(experiment, store)
        if found is None:
            raise RunError(f"{experiment.name}: no stored results for this config and code in {store.root}; run `reportgen build` first")
        result_sets.append(found)
    with executors.InProcessExecutor() as nothing_to_train:
        sweeps = [run_sweep(plan, store, nothing_to_train, only_stored=True).analysis for plan in _sweep_plans(args, experiments).values()]
        ablations = _ablations(args, _ablation_plans(args, experiments), store, nothing_to_train)
    return result_sets, sweeps, ablations


def _render(args: argparse.Namespace, result_sets, out: Path, sweeps, ablations) -> Path:
    from reportgen.analysis import analyse
    from reportgen.report.render import render
    from reportgen.verification import verify

    started = time.monotonic()
    flags = [f"--config {path}" for path in (args.config or [])] + [f"--preset {name}" for name in (args.preset or [])]
    if args.command == "sweep":
        given = {"--methods": args.methods, "--lr-grid": args.lr_grid, "--eta-grid": args.eta_grid, "--seeds": args.seeds}
        flags += [f"{flag} {value}" for flag, value in given.items() if value is not None]
    if args.command == "ablate" and args.seeds is not None:
        flags.append(f"--seeds {args.seeds}")
    command = f"reportgen {args.command} " + " ".join(flags)
    try:
        verification = verify()
        # figures are drawn on local processes even when runs train on a Dask cluster
        with executors.create("process", _workers(args)) as pool:
            render(
                result_sets, analyse(result_sets, ablations), out,
                verification=verification, command=command.strip(), sweeps=sweeps or None, figure_cache_dir=out / "results", executor=pool,
            )
    except ReportgenError:
        raise
    except Exception as error:
        raise RunError(f"rendering the report failed: {type(error).__name__}: {error}") from error
    index = out / "index.html"
    # A failed check does not stop the build: the report is where its evidence is shown, and the test suite is the gate.
    for check in verification.failed:
        print(f"reportgen: warning: verification failed: {check.group} {check.case} {check.subject}: {number(check.value)} > {number(check.tolerance)}; see Verification in the report", file=sys.stderr)
    print(f"report written in {time.monotonic() - started:.1f} s: {index}", file=sys.stderr)
    return index


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
        if args.command == "render":
            result_sets, sweeps, ablations = _stored(args, experiments, store)
            _render(args, result_sets, out, sweeps, ablations)
            return 0
        result_sets, sweeps, ablations = _train(args, experiments, store)
        if args.command in ("build", "sweep", "ablate"):
            index = _render(args, result_sets, out, sweeps, ablations)
            print(index)
            if args.open:
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
