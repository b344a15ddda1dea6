"""The cost of one optimizer step of every method against SGD's, measured in this process (DeepOBS's runtime estimate).

DeepOBS (``deepobs_estimate_runtime.py``) trains SGD and the new optimizer
alternately, three epochs each, five times over, and reports the mean and
standard deviation of the five ratios of their wall-clock times. ``measure``
does the same for every method of an experiment on one problem, in this
process, with these choices:

* what is timed is the engines' own step loop: each run is trained by
  ``trainer.train_one`` exactly as the runner trains it (``engine`` for the
  2018 network, ``problem_engine`` for every other problem), with the fused
  kernels and one BLAS thread, and its ``epoch_seconds`` are read back. The
  setup of a run, its seeding and the evaluation after each epoch are not
  steps and are not counted;
* every method first trains two steps untimed: the first call of a numba
  kernel loads or compiles it (up to 0.5 s for each of the first methods
  in a fresh process). Two more steps then give its step time, from which
  ``steps`` (K) is chosen so that the rounds take about ``seconds`` of
  stepping in all; K is at least 5 and at most the steps of the
  experiment's own runs;
* then ``rounds`` (R) rounds. In each, every method, SGD included, trains a
  fresh run of K steps from the same seed, in an order that moves on by one
  method per round, so a slow spell of a shared machine falls on all of them
  and on every position in turn (``reportgen bench`` takes turns the same way);
* per method: the median over rounds of its seconds per step, and its ratio to
  SGD's *in the same round*, summarised by the median of the R per-round
  ratios with their minimum and maximum as the interval. That is the
  order-statistic interval [r_(1), r_(R)] for the median ratio: for rounds
  whose ratios are independent draws it covers it with probability
  1 - 2^(1-R), 98.4% for the default R = 7 (what
  ``reportgen.analysis.paired.interval_rank`` chooses at 95% for up to 8
  pairs). SGD's own ratio is 1 in every round, so exactly 1, interval [1, 1].

A timed run is one epoch of K steps on a synthetic problem, and K batches
of the training images (whole epochs, beyond one) on the others (``Runs``). A
run that diverges stops, as the engines stop it; the epochs before are timed,
and a method that no epoch of a round finished has no time that round (NaN,
None in ``to_dict``).

``StepCost.to_dict`` is JSON for a store to keep (``ResultStore.save_json``,
beside a result set), and ``ratio [low, high]`` per method what a page shows.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reportgen.errors import ConfigError
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import RunSpec
from reportgen.training.trainer import train_one

BASELINE = "sgd"  # the method every step is compared with, by its name in the experiment
ROUNDS = 7
SECONDS = 1.5  # of timed steps per problem, all rounds and methods together, as the warm-up predicts them
MIN_STEPS = 5  # per method and round, unless the experiment's own runs are shorter
WARM_UP_STEPS = 2  # two, so a step that is not an epoch's last (the 2018 network treats the last apart) runs too


@dataclass(frozen=True)
class MethodCost:
    """One method's step: its median seconds, and its ratio to SGD's with the per-round ratios' min and max."""

    seconds: float
    ratio: float
    low: float
    high: float


@dataclass(frozen=True)
class StepCost:
    """Every method's step cost on one problem, by method name in the experiment's order."""

    problem: str
    rounds: int
    steps: int  # per method and round
    methods: dict[str, MethodCost]
    baseline: str = BASELINE

    @property
    def coverage(self) -> float:
        """How often [min, max] of ``rounds`` independent per-round ratios covers their median."""
        return 1.0 - 2.0 ** (1 - self.rounds)

    def to_dict(self) -> dict:
        """JSON-able: NaN (a method no round could time) as None."""
        methods = {name: {key: value if math.isfinite(value) else None for key, value in dataclasses.asdict(cost).items()} for name, cost in self.methods.items()}
        return {"problem": self.problem, "rounds": self.rounds, "steps": self.steps, "baseline": self.baseline, "methods": methods}

    @classmethod
    def from_dict(cls, stored: dict) -> StepCost:
        methods = {name: MethodCost(**{key: math.nan if value is None else value for key, value in cost.items()}) for name, cost in stored["methods"].items()}
        return cls(problem=stored["problem"], rounds=stored["rounds"], steps=stored["steps"], methods=methods, baseline=stored["baseline"])


def measure(template: RunSpec, data, methods: Sequence[MethodSpec], *, rounds: int = ROUNDS, seconds: float = SECONDS) -> StepCost:
    """The step cost of each of ``methods`` on the problem of ``template`` (any run spec of the experiment: its problem,
    options, batch size, network, dtype, seed and epochs), trained on ``data`` as ``runner.load_split`` gives it.

    One of ``methods`` must be named ``sgd``: a ConfigError otherwise.
    """
    names = [method.name for method in methods]
    if BASELINE not in names:
        raise ConfigError(f"step cost: the methods must include {BASELINE!r}, the step every other is compared with (given: {', '.join(names) or 'none'})")
    if rounds < 1 or not seconds > 0:
        raise ConfigError(f"step cost: rounds must be at least 1 and seconds positive (given {rounds}, {seconds})")
    template = dataclasses.replace(template, engine="fused", record_timings=True)
    runs = Runs(template, data)
    warm = []
    for method in methods:
        runs.seconds_per_step(method, WARM_UP_STEPS)  # loads the method's kernels
        warm.append(runs.seconds_per_step(method, WARM_UP_STEPS))
    predicted = rounds * sum(step for step in warm if math.isfinite(step))  # seconds of one step of each method, every round
    steps = runs.steps(seconds / predicted if predicted > 0 else MIN_STEPS)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        for method in rotated(methods, round_index):
            timings[method.name].append(runs.seconds_per_step(method, steps))
    ratios = {name: [mine / base for mine, base in zip(timings[name], timings[BASELINE])] for name in names}
    costs = {name: MethodCost(_median(timings[name]), _median(ratios[name]), *_extremes(ratios[name])) for name in names}
    return StepCost(problem=template.problem, rounds=rounds, steps=steps, methods=costs)


def rotated(methods, round_index: int) -> list:
    """The order of a round: the methods' own order moved on by ``round_index`` places, so each leads in turn."""
    shift = round_index % len(methods)
    return [*methods[shift:], *methods[:shift]]


class Runs:
    """Fresh runs of the template's problem from its seed, each of a given number of steps, timed by their engine.

    A synthetic problem's run is one epoch of that many steps: the same steps, drawing the same noise, as
    the experiment's epochs of one, without the evaluation between them, which is not a step and would
    cost more wall time than the steps. A problem with images trains on the first of its training images,
    as many batches as the steps (or all of them): a step costs the same on a few batches as on all
    (digits-softmax, 10 batches against all 94 taking turns: 183 and 175 us per step), and an epoch of the
    digit models would otherwise outlast every round together. The held-out images are cut to one batch,
    which only the untimed evaluation reads. A plugin's problem runs whole epochs of its own, as many as the
    steps fill (at least one): its factory need not take a ``steps_per_epoch`` option.
    """

    def __init__(self, template: RunSpec, data):
        self.template, self.data = template, data
        self.images = hasattr(data, "X_train")
        self.epoch = self._batches(len(data.X_train)) if self.images else template.create_problem().steps_per_epoch
        self.whole_epochs = self.images or template.problem_plugin is not None  # a plugin's factory need not take steps_per_epoch

    def steps(self, estimate: float) -> int:
        """The steps of a timed run: ``estimate``, at least MIN_STEPS, at most the experiment's own runs' (a run
        never goes further than they do); on images, more than an epoch's are whole epochs, rounded down."""
        whole_run = self.template.epochs * self.epoch
        steps = min(whole_run, max(MIN_STEPS, int(min(estimate, whole_run))))
        return steps // self.epoch * self.epoch if self.whole_epochs and steps > self.epoch else steps

    def seconds_per_step(self, method: MethodSpec, steps: int) -> float:
        """Train ``method`` ``steps`` steps: the engine's seconds per step over the epochs it finished (it stops
        where it diverges), NaN if none."""
        spec = dataclasses.replace(self.template, method=method)
        if self.images:
            images, test = steps * self.template.batch_size, self.template.batch_size
            data = dataclasses.replace(self.data, X_train=self.data.X_train[:images], y_train=self.data.y_train[:images], X_test=self.data.X_test[:test], y_test=self.data.y_test[:test])
            per_epoch = self._batches(len(data.X_train))
            spec = dataclasses.replace(spec, epochs=steps // per_epoch)
        elif self.whole_epochs:
            data, per_epoch = self.data, self.epoch
            spec = dataclasses.replace(spec, epochs=max(1, steps // per_epoch))
        else:
            data, per_epoch = self.data, steps
            spec = dataclasses.replace(spec, epochs=1, problem_options=tuple(sorted({**dict(spec.problem_options), "steps_per_epoch": steps}.items())))
        seconds = train_one(spec, data).arrays["epoch_seconds"]
        finished = seconds[np.isfinite(seconds)]
        return float(np.sum(finished)) / (len(finished) * per_epoch) if len(finished) else math.nan

    def _batches(self, images: int) -> int:
        return -(-images // self.template.batch_size)


def _median(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return statistics.median(finite) if finite else math.nan


def _extremes(values: list[float]) -> tuple[float, float]:
    finite = [value for value in values if math.isfinite(value)]
    return (min(finite), max(finite)) if finite else (math.nan, math.nan)
