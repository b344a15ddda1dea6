"""What ``build``, ``run``, ``sweep``, ``ablate`` and ``render`` do once the command line has parsed them.

train (tunings, experiments, sweeps, ablations, in one pool) or load what is stored
  -> Trained -> render_report (one experiment or several: the report)
             -> render_site   (the problems of one suite: the static site, reportgen.site)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from reportgen import config
from reportgen.errors import ConfigError, ReportgenError, RunError
from reportgen.formatting import number
from reportgen.training import executors
from reportgen.training.store import ResultStore


@dataclass
class Trained:
    """What a command trained or found stored, for the report or the site."""

    result_sets: list
    sweeps: list = field(default_factory=list)
    ablations: list = field(default_factory=list)
    tunings: list = field(default_factory=list)  # reportgen.sweep.tune.Tuning, one per tuned problem of a suite


def workers(args: argparse.Namespace) -> int:
    workers = getattr(args, "workers", None)  # render has no --workers: it draws on every core
    if workers is not None and not 1 <= workers <= 256:
        raise ConfigError(f"--workers: {workers} is out of range; expected 1 to 256")
    return workers or executors.default_workers()


def executor_for(args: argparse.Namespace, experiments) -> executors.Executor:
    """The command line's choice, else the experiments' [executor] table (they must agree)."""
    tables = {(experiment.executor["kind"], experiment.executor["scheduler"]) for experiment in experiments}
    if len(tables) > 1:
        raise ConfigError(f"executor: the experiments ask for different executors ({', '.join(sorted(kind for kind, _ in tables))}); give --executor")
    kind, scheduler = tables.pop()
    return executors.create(args.executor or kind, workers(args), args.scheduler or scheduler)


def sweep_plans(args: argparse.Namespace, experiments) -> dict:
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


def ablation_plans(args: argparse.Namespace, experiments) -> dict:
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


def run_ablations(args: argparse.Namespace, plans: dict, store: ResultStore, executor) -> list:
    """``reportgen ablate`` trains them; every other command includes the ones fully stored (the report says how to run the rest)."""
    from reportgen.ablation.run import run_ablation

    ablations = []
    for planned in plans.values():
        if args.command == "ablate":
            ablation = run_ablation(planned, store, executor, force=args.force, quiet=args.quiet)
            print(f"{planned.experiment.name} quirk ablation: {action(ablation)} in {ablation.seconds:.1f} s", file=sys.stderr)
        else:
            try:
                ablation = run_ablation(planned, store, executor, only_stored=True)
            except RunError:
                continue
        ablations.append(ablation)
    return ablations


def action(outcome) -> str:
    return f"trained {outcome.trained} runs" + (f", reused {outcome.reused}" if outcome.reused else "") if outcome.trained else f"reused {outcome.reused} stored runs"


def train(args: argparse.Namespace, experiments, store: ResultStore) -> Trained:
    from reportgen.sweep.run import run_sweep  # imported here so `presets` and usage errors stay instant
    from reportgen.sweep.tune import tune_all
    from reportgen.training.runner import run_experiments

    sweeps = []
    plans, ablation_plans_ = sweep_plans(args, experiments), ablation_plans(args, experiments)  # checked before any training
    with executor_for(args, experiments) as executor:
        experiments, tunings = tune_all(experiments, store, executor, quiet=args.quiet)  # a suite's learning rates, per problem
        for tuning in tunings:
            print(tuning.line(), file=sys.stderr)
        outcomes = run_experiments(experiments, store, executor, force=args.force, quiet=args.quiet)
        for experiment, outcome in zip(experiments, outcomes):  # the experiments train in one pool: the time is theirs together
            print(f"{experiment.name}: {action(outcome)} in {outcome.seconds:.1f} s -> {store.directory(experiment.name, outcome.result_set.key)}", file=sys.stderr)
        for experiment in experiments:
            if experiment.name in plans:
                swept = run_sweep(plans[experiment.name], store, executor, force=args.force, quiet=args.quiet)
                print(f"{experiment.name} sweep: {action(swept)} in {swept.seconds:.1f} s", file=sys.stderr)
                sweeps.append(swept.analysis)
        ablations = run_ablations(args, ablation_plans_, store, executor)
    return Trained([outcome.result_set for outcome in outcomes], sweeps, ablations, tunings)


def stored(args: argparse.Namespace, experiments, store: ResultStore) -> Trained:
    """The stored results, tunings and sweeps of the experiments; a RunError names what is missing."""
    from reportgen.sweep.run import run_sweep
    from reportgen.sweep.tune import tune_all
    from reportgen.training.runner import stored as stored_results

    with executors.InProcessExecutor() as nothing_to_train:
        experiments, tunings = tune_all(experiments, store, nothing_to_train, quiet=True, only_stored=True)
        result_sets = []
        for experiment in experiments:
            found = stored_results(experiment, store)
            if found is None:
                raise RunError(f"{experiment.name}: no stored results for this config and code in {store.root}; run `reportgen build` first")
            result_sets.append(found)
        sweeps = [run_sweep(plan, store, nothing_to_train, only_stored=True).analysis for plan in sweep_plans(args, experiments).values()]
        ablations = run_ablations(args, ablation_plans(args, experiments), store, nothing_to_train)
    return Trained(result_sets, sweeps, ablations, tunings)


def command_line(args: argparse.Namespace) -> str:
    """The command that remakes the output, as the report quotes it."""
    flags = [f"--config {path}" for path in (args.config or [])] + [f"--preset {name}" for name in (args.preset or [])]
    if args.command == "sweep":
        given = {"--methods": args.methods, "--lr-grid": args.lr_grid, "--eta-grid": args.eta_grid, "--seeds": args.seeds}
        flags += [f"{flag} {value}" for flag, value in given.items() if value is not None]
    if args.command == "ablate" and args.seeds is not None:
        flags.append(f"--seeds {args.seeds}")
    return f"reportgen {args.command} {' '.join(flags)}".strip()


def render_report(args: argparse.Namespace, trained: Trained, out: Path) -> Path:
    from reportgen.analysis import analyse
    from reportgen.report.render import render
    from reportgen.verification import verify

    started = time.monotonic()
    command = command_line(args)
    try:
        verification = verify()
        # figures are drawn on local processes even when runs train on a Dask cluster
        with executors.create("process", workers(args)) as pool:
            render(
                trained.result_sets, analyse(trained.result_sets, trained.ablations), out,
                verification=verification, command=command, sweeps=trained.sweeps or None, figure_cache_dir=out / "results", executor=pool,
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


SITE_SEEDS = 5  # the least: fewer make the bootstrap's intervals and ranks claim what a seed or two cannot show

def check_site(experiments) -> None:
    """What a site needs, checked before anything trains: its baselines and reference, enough seeds, a folder name of
    its own; each a one-line ConfigError."""
    from reportgen.analysis.scores import BASELINES, REFERENCE

    needed = (REFERENCE, *BASELINES)  # the speed-ups' reference and the targets' baselines
    name = experiments[0].suite or experiments[0].name
    if name == "results":
        raise ConfigError("name: 'results' is the results store's folder in --out; give the suite another name")
    for experiment in experiments:
        missing = [method for method in needed if method not in {spec.name for spec in experiment.methods}]
        if missing:
            raise ConfigError(f"{experiment.name}: a site's targets and speed-ups need {', '.join(needed)} among its methods; add [methods.{missing[0]}]")
        if len(experiment.seeds) < SITE_SEEDS:
            raise ConfigError(f"{experiment.name}: a site states intervals and ranks over the seeds; give [training] seeds at least {SITE_SEEDS} (it has {len(experiment.seeds)})")


def step_costs(experiments, result_sets, store: ResultStore, quiet: bool = False) -> tuple[dict, str]:
    """(problem, method) -> its step's cost against SGD's (``reportgen.training.step_cost``): stored beside each
    result set, measured in this process once the pool is idle where none is stored; and the machines measured on."""
    import numpy as np

    from reportgen.training import step_cost
    from reportgen.training.runner import cpu_model, load_split

    costs, machines = {}, set()
    for experiment, result_set in zip(experiments, result_sets):
        directory = store.directory(experiment.name, result_set.key)
        stored = store.load_json(directory, "step_cost")
        if stored is None:
            started = time.monotonic()
            measured = step_cost.measure(experiment.run_specs()[0], load_split(experiment.config), result_set.methods)
            stored = {**measured.to_dict(), "machine": f"{cpu_model()}, numpy {np.__version__}"}
            store.save_json(directory, "step_cost", stored)
            if not quiet:
                print(f"{experiment.name}: step cost against SGD measured in {time.monotonic() - started:.1f} s ({measured.rounds} rounds of {measured.steps} steps)", file=sys.stderr)
        found = step_cost.StepCost.from_dict(stored)
        costs.update({(found.problem, name): cost for name, cost in found.methods.items()})
        machines.add(stored.get("machine", "a machine not recorded"))
    return costs, "; ".join(sorted(machines))


def render_site(args: argparse.Namespace, experiments, trained: Trained, out: Path, store: ResultStore) -> Path:
    """The site of a suite's problems, in OUT/<suite name>/; its index.html."""
    from reportgen.site.gather import gather
    from reportgen.site.write import write_site

    started = time.monotonic()
    costs, machines = step_costs(experiments, trained.result_sets, store, args.quiet)
    suite = gather(experiments, trained.result_sets, trained.tunings, costs, machines)
    try:
        with executors.create("process", workers(args)) as pool:
            index = write_site(suite, out / suite.name, command=command_line(args), single_file=args.single_file, executor=pool)
    except ReportgenError:
        raise
    except Exception as error:
        raise RunError(f"rendering the site failed: {type(error).__name__}: {error}") from error
    print(f"site written in {time.monotonic() - started:.1f} s: {index}", file=sys.stderr)
    return index
