"""Quirk ablations, what to train: each 2018 quirk changed alone, all else held, on paired seeds.

Two directions, by the experiment's variant:

* ``fix`` (a seed-2018 experiment, the replica): each method with exactly one
  quirk undone (its ``Quirk.fix``), same data, batch, order, learning rate and
  seeds as the replica's own run of the method, which is the baseline;
* ``add`` (a textbook experiment): the seed-2018 method with every quirk undone
  but one, at the textbook run's settings (its learning rate), against the
  textbook method. Fixing every quirk gives the textbook method bit for bit
  (tests/test_quirk_switches.py), so the arm differs from it by that quirk alone.

The 2018 activation ("elu_2018", whose backprop "derivative" is wrong) is a
quirk of the network, not of a method: its arm runs every method with the
other activation. Runs draw their noise from the experiment's variant, so
an arm and its baseline see the same noise (``RunSpec.seeding``).

An experiment asks for ablations with an ``[ablation]`` table::

    [ablation]
    seeds = 6    # the experiment's seeds, then 0, 1, 2, ...; or a list. 6 is the fewest
                 # that give a 95% paired interval (reportgen.analysis.paired)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reportgen import optimizers
from reportgen.analysis.paired import MIN_PAIRS
from reportgen.errors import ConfigError
from reportgen.problems import NETWORK_PROBLEM
from reportgen.sweep.plan import check_table, sweep_seeds
from reportgen.training.results import MethodSpec
from reportgen.training.tasks import RunSpec

if TYPE_CHECKING:
    from reportgen.config import Experiment

ABLATION_KEYS = ("seeds",)
QUIRKY_VARIANT = "seed-2018"
DIRECTIONS = {"seed-2018": "fix", "textbook": "add"}
ACTIVATION_QUIRK = "the network's 2018 ELU: 3 (e^x - 1) x for x <= 0, backpropagated with the \"derivative\" 3 e^x"
ACTIVATION_RULE = "ELU e^x - 1 for x <= 0, backpropagated with its derivative e^x"
OTHER_ACTIVATION = {"elu_2018": "elu", "elu": "elu_2018"}


@dataclass(frozen=True)
class Arm:
    """One method with one quirk changed: ``spec`` as the arm runs it, ``baseline`` as the experiment does."""

    quirk: str
    textbook_rule: str
    baseline: MethodSpec
    spec: MethodSpec
    activation: str  # the network's activation in this arm: the experiment's, or the other one for the activation quirk


@dataclass(frozen=True)
class Plan:
    experiment: Experiment
    direction: str  # "fix" or "add"
    seeds: tuple[int, ...]
    arms: tuple[Arm, ...]

    def baseline_specs(self) -> list[RunSpec]:
        template = self.experiment.run_specs()[0]
        methods = {arm.baseline.name: arm.baseline for arm in self.arms}
        return [replace(template, method=method, seed=seed) for method in methods.values() for seed in self.seeds]

    def arm_specs(self, arm: Arm) -> list[RunSpec]:
        template = self.experiment.run_specs()[0]
        return [replace(template, method=arm.spec, seed=seed, activation=arm.activation) for seed in self.seeds]


def _method(name: str, variant: str, hyperparams: dict) -> MethodSpec:
    resolved = optimizers.create(name, variant, **hyperparams).hyperparams
    return MethodSpec(name, optimizers.LETTERS[name], variant, resolved)


def _all_fixed(name: str, textbook: MethodSpec) -> dict:
    """The seed-2018 method's settings with every quirk undone, at the textbook run's values where both have them."""
    defaults = optimizers.defaults(name, QUIRKY_VARIANT)
    settings = {**defaults, **{key: value for key, value in textbook.hyperparams.items() if key in defaults}}
    for quirk in optimizers.describe(name, QUIRKY_VARIANT).quirks:
        settings.update(quirk.fix)
    return settings


def _method_arms(method: MethodSpec, direction: str, activation: str) -> list[Arm]:
    if method.runs != method.name or QUIRKY_VARIANT not in optimizers.variants_of(method.name):
        return []  # only the 2018 article's methods, by their own names, have quirks to change
    quirky = optimizers.describe(method.name, QUIRKY_VARIANT)
    quirks = [quirk for quirk in quirky.quirks if quirk.fix]
    arms = []
    if direction == "fix":
        for quirk in quirks:
            arms.append(Arm(quirk.text, quirky.textbook_rule, method, _method(method.name, QUIRKY_VARIANT, {**method.hyperparams, **quirk.fix}), activation))
    else:
        fixed, defaults = _all_fixed(method.name, method), optimizers.defaults(method.name, QUIRKY_VARIANT)
        for quirk in quirks:
            kept = {**fixed, **{key: defaults[key] for key in quirk.fix}}
            try:
                arms.append(Arm(quirk.text, quirky.textbook_rule, method, _method(method.name, QUIRKY_VARIANT, kept), activation))
            except ConfigError:
                continue  # it exists only with another quirk (NAdam's constant correction without its schedule): that arm adds both
    return arms


def ablatable(experiment: Experiment) -> bool:
    """Whether the experiment trains the 2018 network (whose ELU is a quirk too), every method runs in the
    experiment's variant, and that variant has an ablation direction."""
    return (
        experiment.config["problem"]["name"] == NETWORK_PROBLEM
        and experiment.config["variant"] in DIRECTIONS
        and {method.variant for method in experiment.methods} == {experiment.config["variant"]}
    )


def plan(experiment: Experiment, table: dict) -> Plan:
    """Check an ``[ablation]`` table (command-line flags merged in) against the experiment."""
    check_table("ablation", table, ABLATION_KEYS)
    if not ablatable(experiment):
        raise ConfigError(f"ablation: experiment {experiment.name!r} mixes variants or has none of {', '.join(DIRECTIONS)}; an ablation needs one")
    direction = DIRECTIONS[experiment.config["variant"]]
    seeds = sweep_seeds("ablation.seeds", table.get("seeds", max(MIN_PAIRS, len(experiment.seeds))), experiment.seeds)
    activation = experiment.config["network"]["activation"]
    arms = []
    for method in experiment.methods:
        arms += _method_arms(method, direction, activation)
    arms += [Arm(ACTIVATION_QUIRK, ACTIVATION_RULE, method, method, OTHER_ACTIVATION[activation]) for method in experiment.methods]
    return Plan(experiment, direction, seeds, tuple(arms))
