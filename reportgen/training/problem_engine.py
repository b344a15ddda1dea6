"""The engine for the suite's problems (``reportgen.problems``): any method on any problem but the 2018 network.

The 2018 network keeps ``engine`` (its lit-pixel path and the gradient's
outer products are specific to it); here a run is the plain loop every
problem supports (``reportgen.problems.base``):

    for batch in problem.batches(data, batch_size, order_rng):
        loss, grads = problem.loss_and_grads(params, batch)   # at the look-ahead point for Nesterov's 2018 rule
        optimizer.update(params, grads, state)                 # fused kernels where they apply

``order_rng`` (``seeding.order_stream``) orders the images and draws the
synthetic problems' noise into their batches; the optimizer draws its own
noise from ``noise_rng``, so a method's noise and the problem's never share
a stream.

After each epoch the run records the problem's own metrics
(``problem.evaluate``, noise-free for the synthetic problems, under the
store's names), ``train_cost_logged`` (here the mean of the losses the
epoch's steps saw) and its seconds. A problem of
two parameters (``rosenbrock``, ``beale``) also records its path: the point
after every step, epoch by epoch (the start is the problem's), which the
contour maps draw. A run stops
as diverged at the first epoch whose loss or parameters are not finite or
whose largest parameter exceeds the spec's threshold; the rest stays NaN.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen import problems
from reportgen.errors import ConfigError
from reportgen.optimizers import kernels
from reportgen.training import methods
from reportgen.training.record import divergence
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import PATH_DIMENSIONS, RunSpec, records_path


def train(spec: RunSpec, data, params, noise_rng, order_rng, progress=None) -> RunMetrics:
    """Train one run of ``spec.problem``; ``params`` (its initial parameters) are copied, never modified."""
    problem = spec.create_problem()
    optimizer = methods.optimizer(spec.method)
    w = [np.array(p, dtype=np.float64) for p in params]
    state = optimizer.init(w, noise_rng)
    arrays = {name: np.full(spec.epochs, np.nan) for name in (*problem.metrics, "train_cost_logged", "epoch_seconds")}
    path = [] if records_path(w) else None  # the point after each step, epoch by epoch
    metrics = RunMetrics(arrays)
    # One BLAS thread, as in ``engine``: the products are small and runs fill the cores as separate processes.
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(spec.epochs):
            with np.errstate(all="ignore"), kernels.fused(spec.engine == "fused"):
                started, losses, points = time.perf_counter(), [], []
                for batch in problem.batches(data, spec.batch_size, order_rng):
                    at = w if optimizer.gradient != "lookahead" else optimizer.lookahead(w, state)
                    loss, grads = problem.loss_and_grads(at, batch)
                    if at is not w:  # the logged loss is the batch's at the weights, as the 2018 Nesterov logged it
                        loss, _ = problem.loss_and_grads(w, batch)
                    losses.append(loss)
                    w, state = optimizer.update(w, None if optimizer.gradient == "none" else grads, state)
                    if path is not None:
                        points.append(np.concatenate([p.reshape(-1) for p in w]))
                seconds = time.perf_counter() - started
                evaluated = problem.evaluate(w, data)
            reason = divergence(np.array([*losses, *evaluated.values()]), w, spec.divergence_threshold)
            if reason:
                metrics.diverged_epoch, metrics.divergence_reason = epoch + 1, reason
                break
            for name, value in evaluated.items():
                arrays[name][epoch] = value
            if path is not None:
                path.append(points)
            arrays["train_cost_logged"][epoch] = np.mean(losses)
            arrays["epoch_seconds"][epoch] = seconds if spec.record_timings else 0.0
            if progress is not None:
                progress(epoch + 1)
    if path is not None:  # (epochs, steps per epoch, 2); NaN from a divergence on, like every other array
        steps = problem.steps_per_epoch  # a fixed count (a plugin's is checked against its batches), even if the first epoch diverged
        arrays["path"] = np.full((spec.epochs, steps, PATH_DIMENSIONS), np.nan)
        arrays["path"][: len(path)] = np.array(path).reshape(len(path), steps, PATH_DIMENSIONS)
    return metrics


def check_fits(problem: dict, specs) -> None:
    """Each method set up on the parameters of the problem a checked ``[problem]`` table names before anything
    trains: a method that cannot take their shapes (Muon orthogonalises matrices only, as torch.optim.Muon) is a
    ConfigError of one line naming both."""
    params = problems.from_table(problem).initial_params(0)
    for spec in specs:
        try:
            methods.optimizer(spec).init([np.array(p, dtype=np.float64) for p in params], np.random.default_rng(0))
        except ValueError as error:
            raise ConfigError(f"methods.{spec.name}: cannot train problem {problem['name']}: {error}") from None
