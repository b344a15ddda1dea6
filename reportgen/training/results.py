"""Plain data that flows from the runner to the analysis and the report.

A ``RunMetrics`` is what one training run (method x variant x seed) returns.
A ``ResultSet`` gathers every run of one experiment into arrays indexed
``[method, seed, epoch]`` so the analysis never loops over dictionaries.

Conventions:
* epochs are numbered from 1 in everything a user reads; array index e holds
  epoch e + 1;
* after a run diverges its remaining epochs hold NaN;
* ``diverged_epoch`` is the 1-based epoch at which the run diverged, 0 if it
  never did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Per-epoch scalar metrics, each an array of shape (epochs,) in RunMetrics
# and (methods, seeds, epochs) in ResultSet.
EPOCH_METRICS = (
    "train_cost_logged",  # 2018's number: sum of per-sample costs measured during the pass
    "train_cost_mean",  # mean cost over the training set after the epoch
    "test_cost",  # mean cost over the held-out images after the epoch
    "test_accuracy",  # fraction of held-out images with (a3 > 0.5) == label
    "epoch_seconds",  # wall-clock seconds spent in the epoch
)
# Per-epoch, per-layer metrics: (epochs, layers) / (methods, seeds, epochs, layers),
# measured on the last step of each epoch.
LAYER_METRICS = (
    "grad_norm",  # Frobenius norm of the gradient the step used (0 for gradient-free methods)
    "update_norm",  # Frobenius norm of w_after - w_before
)


@dataclass
class RunMetrics:
    arrays: dict[str, np.ndarray]
    diverged_epoch: int = 0
    divergence_reason: str = ""


@dataclass(frozen=True)
class MethodSpec:
    """One method as configured: its name in the experiment, letter, variant, resolved hyperparameters,
    and what runs when the name is not a built-in's (``reportgen.training.methods`` makes the optimizer)."""

    name: str  # a built-in's name, or the experiment's own name for it ([methods.NAME])
    letter: str
    variant: str
    hyperparams: dict
    method: str = ""  # what runs, when not the built-in ``name``: a built-in's name or a plugin's key
    title: str = ""  # how the report names it, when not by the method's own title
    plugin: dict | None = None  # where a plugin comes from (reportgen.optimizers.plugins.Source), to load it in any process
    schedule: dict | None = None  # the learning-rate schedule (reportgen.optimizers.schedules), resolved; onecycle's max_lr None: the lr

    @property
    def runs(self) -> str:
        """The name ``reportgen.optimizers.create`` knows it by."""
        return self.method or self.name


@dataclass
class ResultSet:
    experiment: str  # e.g. "seed-2018"
    description: str
    config: dict  # the normalised experiment configuration
    key: str  # cache key: hash of config + data fingerprint + code
    data: dict  # source, fingerprint, n_train, n_test, label counts, ...
    methods: list[MethodSpec]
    seeds: list[int]
    epochs: int
    arrays: dict[str, np.ndarray]  # EPOCH_METRICS and LAYER_METRICS, stacked
    diverged_epoch: np.ndarray  # (methods, seeds) int
    samples: np.ndarray  # (k, 28, 28) uint8: a few training digits to show
    sample_labels: np.ndarray  # (k,) int
    versions: dict = field(default_factory=dict)  # package versions used
    timings: dict = field(default_factory=dict)  # wall-clock of the training that made it (one pool may train several sets)
    # The control runs (reportgen.training.controls), by name: "floor:<method>" the
    # noise floor's train_cost_logged (seeds, streams, epochs); "lockstep:<first>:<method>:<metric>"
    # the LOCKSTEP_METRICS of a method run in lockstep with <first> (seeds, epochs).
    controls: dict[str, np.ndarray] = field(default_factory=dict)

    def method_index(self, name: str) -> int:
        return [m.name for m in self.methods].index(name)

    def metric(self, name: str) -> np.ndarray:
        return self.arrays[name]
