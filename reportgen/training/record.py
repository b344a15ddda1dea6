"""What every trainer records: the metrics of a run, epoch by epoch, and when it diverged.

Shared by the plain reference trainer and the engine, so both record exactly
the same numbers the same way; its source is part of the results' cache key.
"""

from __future__ import annotations

import numpy as np

from reportgen.model import network
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, RunMetrics
from reportgen.training.tasks import RunSpec


def divergence(costs, w, threshold) -> str:
    """Why the run counts as diverged now, or "" if it does not."""
    if not np.all(np.isfinite(costs)):
        return "cost non-finite"
    if not all(np.all(np.isfinite(wi)) for wi in w):
        return "weights non-finite"
    if max(np.max(np.abs(wi)) for wi in w) > threshold:
        return f"max |w| > {threshold:g}"
    return ""


class Recorder:
    """Fills a RunMetrics epoch by epoch; shared by the reference trainer and the engine.

    After each epoch the whole training and test sets go through the plain
    ``network.forward`` (once per epoch, so its cost does not matter), which
    also makes every recorded number of the engine directly comparable.
    """

    def __init__(self, spec: RunSpec, data: tuple[np.ndarray, ...]):
        self.spec = spec
        self.X_train, self.y_train, self.X_test, self.y_test = data
        self.arrays = {name: np.full(spec.epochs, np.nan) for name in EPOCH_METRICS}
        self.arrays.update({name: np.full((spec.epochs, 3), np.nan) for name in LAYER_METRICS})
        self.metrics = RunMetrics(self.arrays)

    def end_epoch(self, epoch: int, w, logged: float, grad_norm, update_norm, seconds: float) -> bool:
        """Record epoch ``epoch`` (0-based); True if the run diverged there and must stop."""
        spec, arrays = self.spec, self.arrays
        train_costs = network.cost(network.forward(w, self.X_train, spec.activation).a3, self.y_train)
        test_a3 = network.forward(w, self.X_test, spec.activation).a3
        test_costs = network.cost(test_a3, self.y_test)
        reason = divergence(np.concatenate([[logged], train_costs, test_costs]), w, spec.divergence_threshold)
        if reason:
            self.metrics.diverged_epoch, self.metrics.divergence_reason = epoch + 1, reason
            return True
        arrays["train_cost_logged"][epoch] = logged
        arrays["train_cost_mean"][epoch] = np.mean(train_costs)
        arrays["test_cost"][epoch] = np.mean(test_costs)
        arrays["test_accuracy"][epoch] = np.mean((test_a3 > 0.5) == (self.y_test > 0.5))
        arrays["grad_norm"][epoch] = grad_norm
        arrays["update_norm"][epoch] = update_norm
        arrays["epoch_seconds"][epoch] = seconds if spec.record_timings else 0.0
        return False


def cast_data(split, dtype) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=dtype) for a in (split.X_train, split.y_train, split.X_test, split.y_test))


def epoch_order(spec: RunSpec, n: int, order_rng) -> np.ndarray:
    return order_rng.permutation(n) if spec.shuffle else np.arange(n)
