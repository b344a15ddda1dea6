"""One training run as an independent task: what the runner hands to a trainer."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen import problems
from reportgen.problems import NETWORK_PROBLEM
from reportgen.problems.base import PATH_DIMENSIONS
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, MethodSpec

# A run stops as diverged at the first epoch whose cost or weights are not
# finite, or whose largest absolute weight exceeds this. The cost itself is
# bounded (sigmoid output, 0.5 per sample at most), so a blow-up shows in
# the weights first.
DEFAULT_DIVERGENCE_THRESHOLD = 1e6


def records_path(params) -> bool:
    return sum(p.size for p in params) == PATH_DIMENSIONS


@dataclass(frozen=True)
class RunSpec:
    method: MethodSpec
    seed: int
    epochs: int
    batch_size: int = 1
    activation: str = "elu"  # "elu" or "elu_2018", see reportgen.model.network
    sizes: tuple[int, ...] = (784, 256, 128, 1)
    dtype: str = "float64"  # "float32" is opt-in and recorded in the report
    shuffle: bool = False  # reshuffle the training order every epoch
    divergence_threshold: float = DEFAULT_DIVERGENCE_THRESHOLD
    record_timings: bool = True  # False writes 0 seconds so outputs are byte-identical
    engine: str = "fused"  # "fused": the update kernels where they apply; "numpy": the NumPy parts only (same bits)
    noise_stream: int = 0  # 0: the seed's noise stream (reportgen.training.seeding); k > 0: the k-th other one
    # The variant whose random streams the run draws ("": the method's own). The experiment's, so that a
    # quirk ablation's seed-2018 method in the textbook setup sees the textbook runs' noise (paired).
    seeding: str = ""
    # What is trained: the 2018 network (``activation`` and ``sizes`` above), or a problem of
    # ``reportgen.problems`` with its options as sorted (name, value) pairs (``problem_engine`` trains it),
    # a plugin's with the ``Source`` (as a dict) that loads it in any process.
    problem: str = NETWORK_PROBLEM
    problem_options: tuple = ()
    problem_plugin: dict | None = None

    @property
    def on_network(self) -> bool:
        return self.problem == NETWORK_PROBLEM

    def create_problem(self):
        return problems.create(self.problem, self.problem_plugin, **dict(self.problem_options))

    @property
    def noise_variant(self) -> str:
        return self.seeding or self.method.variant

    @property
    def label(self) -> str:
        stream = f"/noise stream {self.noise_stream}" if self.noise_stream else ""
        problem = "" if self.on_network else f"{self.problem}/"
        return f"{problem}{self.method.name}/{self.method.variant}/seed {self.seed}{stream}"

    @property
    def file_name(self) -> str:
        stream = f"--stream{self.noise_stream}" if self.noise_stream else ""
        problem = "" if self.on_network else f"{self.problem}--"
        return f"{problem}{self.method.name}--{self.method.variant}--{self.seed}{stream}.npz"

    @property
    def metrics(self) -> tuple[str, ...]:
        if self.on_network:
            return (*EPOCH_METRICS, *LAYER_METRICS)
        problem = self.create_problem()
        path = ("path",) if records_path(problem.initial_params(0)) else ()
        return (*problem.metrics, "train_cost_logged", "epoch_seconds", *path)  # each with a row per epoch


# What a lockstep group records per epoch for each run after its first, arrays of shape
# (epochs,) named "<method>:<metric>"; see reportgen.training.lockstep.
LOCKSTEP_METRICS = (
    "cost_logged",  # the run's train_cost_logged, as its own run records it
    "cost_gap",  # J(w_run) - J(w_first): the summed training-set cost at the end of the epoch
    "first_order_gap",  # the directional derivative of J at w_first along w_run - w_first
    "weight_gap",  # ||w_run - w_first||, all layers together
)


@dataclass(frozen=True)
class LockstepSpec:
    """Runs of one seed stepped together from the same weights, each compared with the first after every epoch."""

    runs: tuple[RunSpec, ...]

    @property
    def epochs(self) -> int:
        return self.runs[0].epochs

    @property
    def method(self) -> MethodSpec:
        return self.runs[0].method  # what failure messages name

    @property
    def label(self) -> str:
        names = " + ".join(run.method.name for run in self.runs)
        return f"{names} in lockstep/{self.runs[0].method.variant}/seed {self.runs[0].seed}"

    @property
    def file_name(self) -> str:
        names = "--".join(run.method.name for run in self.runs)
        return f"lockstep--{names}--{self.runs[0].method.variant}--{self.runs[0].seed}.npz"

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(f"{run.method.name}:{metric}" for run in self.runs[1:] for metric in LOCKSTEP_METRICS)


def run_specs(config: dict, methods) -> list[RunSpec]:
    """Every run of a validated config: methods outer, seeds inner.

    Here rather than beside the config: how the settings become a run decides
    the numbers, so this code is inside the results' cache key.
    """
    training, problem = config["training"], config["problem"]
    network = {"activation": "elu", "hidden": [256, 128], **config.get("network", {})}  # a problem's runs keep the defaults, unused
    return [
        RunSpec(
            method=method,
            seed=seed,
            epochs=training["epochs"],
            batch_size=training["batch_size"],
            activation=network["activation"],
            sizes=(784, *network["hidden"], 1),
            problem=problem["name"],
            problem_options=tuple(problem["options"].items()),
            problem_plugin=problem.get("plugin"),
            dtype=training["dtype"],
            shuffle=training["shuffle"],
            divergence_threshold=training["divergence_threshold"],
            record_timings=training["record_timings"],
            engine=training["engine"],
            seeding=config["variant"],
        )
        for method in methods
        for seed in training["seeds"]
    ]
