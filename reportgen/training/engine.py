"""The training engine the runner uses: ``reportgen.training.reference`` without the waste.

Same run, same numbers (float64: equal to the reference within rounding, see
tests/test_engine.py), far less work per step:

* the update rules are ``reportgen.optimizers``, which update weights and
  state in place with preallocated buffers and draw noise with exact,
  cheaper equivalents of ``rng.gumbel`` / ``rng.normal``;
* the first layer only touches the pixels that are lit in the batch. MNIST
  digits are about 80% zero pixels, and a zero pixel contributes exactly
  nothing to x W1 and gives an exactly-zero row of dJ/dW1 = X^T delta1, so
  the network is run as a smaller one whose first weight matrix is the lit
  rows of W1 (``lit_network``); only the gradient rows of lit pixels are
  written, the rest of the reused gradient buffer is zeroed;
* gradients go into buffers allocated once per run, never into fresh
  784 x 256 arrays;
* the norms of the last step of an epoch are the only per-step metrics, and
  they are taken on that step only, without BLAS (see ``frobenius``);
* BLAS runs on one thread (see ``train``);
* with ``spec.engine = "fused"`` (the default) a chain's last parts, its
  learning rate and the subtraction from the weights run as one compiled
  loop over the weights (``reportgen.optimizers.fusion``), and so do the
  seed-2018 Gumbel samples' MT19937 draws (``optimizers.mt19937``); with one
  float64 image the gradient's outer products are compiled loops too, and of
  the first layer's gradient only the rows of lit pixels are written, which
  the optimizer reads as zero elsewhere (SGD and Adagrad do not even visit
  them): the same numbers as ``--engine numpy``, bit for bit
  (tests/test_kernels.py).

``spec.dtype = "float32"`` casts weights and data to float32 so the large
arrays (weights, gradients, optimizer state, noise) are computed in float32.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen.model import network
from reportgen.optimizers import kernels
from reportgen.training.record import Recorder, cast_data, epoch_order
from reportgen.training.results import RunMetrics
from reportgen.training.tasks import RunSpec
from reportgen.training import methods, products


def lit_network(w, X):
    """The weights and inputs of the same network restricted to the pixels lit in ``X``."""
    lit = np.flatnonzero(X.any(axis=0))
    return lit, [w[0][lit], *w[1:]], X[:, lit]


def batch_cost(w, X, y, activation) -> float:
    _, w_lit, X_lit = lit_network(w, X)
    return float(np.sum(network.cost(network.forward(w_lit, X_lit, activation).a3, y)))


def gradient_into(grads, w, X, y, activation, compiled: bool = False) -> tuple[float, np.ndarray | None]:
    """Summed batch cost at ``w``; its gradient is written into ``grads``.

    The chain rule of ``network.loss_and_grads``, with the first layer over
    the lit pixels and every weight gradient written into a reused buffer.
    With ``compiled`` (one float64 image: the fused engine) the outer products
    are ``products``' loops, and of ``grads[0]`` only the rows of lit pixels
    are written: the second value returned marks them, for the optimizer to
    read the other rows as zero (``Optimizer.update``'s ``active_rows``).
    Otherwise ``grads[0]`` is written whole and the mask is None.
    """
    lit, w_lit, X_lit = lit_network(w, X)
    _, derivative = network.FIRST_LAYER[activation]
    f = network.forward(w_lit, X_lit, activation)
    delta3 = (f.a3 - y) * network.sigmoid_derivative(f.l3)
    delta2 = (delta3 @ w[2].T) * network.tanh_derivative(f.l2)
    delta1 = (delta2 @ w[1].T) * derivative(f.l1)
    cost = float(np.sum(network.cost(f.a3, y)))
    if compiled:
        products.rows_into(X_lit[0], delta1[0], lit, grads[0])
        products.outer_into(f.a1[0], delta2[0], grads[1])
        products.outer_into(f.a2[0], delta3[0], grads[2])
        active = np.zeros(len(grads[0]), dtype=np.bool_)
        active[lit] = True
        return cost, active
    grads[0].fill(0)
    grads[0][lit] = outer_sum(X_lit, delta1)
    outer_sum(f.a1, delta2, out=grads[1])
    outer_sum(f.a2, delta3, out=grads[2])
    return cost, None


def outer_sum(A, D, out=None):
    """A^T D, the sum over the batch's rows of outer(a, d).

    For one row it is the plain outer product by broadcasting: the same
    single products BLAS would form, without a BLAS call per step.
    """
    if len(A) == 1:
        return np.multiply(A[0][:, None], D[0], out=out)
    return np.matmul(A.T, D, out=out)


def frobenius(a) -> float:
    """The Frobenius norm with neither BLAS nor a temporary: np.linalg.norm's dot wakes
    OpenBLAS's threads, which costs milliseconds when the cores are busy with other runs."""
    return float(np.sqrt(np.einsum("ij,ij->", a, a)))


def train(spec: RunSpec, split, params, noise_rng, order_rng, progress=None) -> RunMetrics:
    """Train one run; the metrics of the whole run, epoch by epoch.

    ``params`` (the initial weights) are copied, never modified. Noise comes
    from ``noise_rng``; ``order_rng`` permutes the training order at the start
    of every epoch when ``spec.shuffle``. ``progress(epochs_done)`` is called
    after each epoch. A run that diverges stops there: see ``Recorder``.
    """
    recorder = Recorder(spec, cast_data(split, np.dtype(spec.dtype)))
    for done, _ in enumerate(epochs(spec, split, params, noise_rng, order_rng, recorder), start=1):
        if progress is not None:
            progress(done)
    return recorder.metrics


def epochs(spec: RunSpec, split, params, noise_rng, order_rng, recorder: Recorder) -> Iterator[list[np.ndarray]]:
    """The run epoch by epoch: yields the weights after each epoch ``recorder`` recorded, until the run ends or diverges.

    The yielded arrays are the run's own, updated in place by the next epoch:
    a caller that keeps them copies them. Two of these advanced in turn train
    two runs in lockstep (``reportgen.training.lockstep``).
    """
    network.check_activation(spec.activation)
    method, activation, dtype = spec.method, spec.activation, np.dtype(spec.dtype)
    optimizer = methods.optimizer(method)
    w = [np.array(p, dtype=dtype) for p in params]
    X_train, y_train = recorder.X_train, recorder.y_train
    n, B = len(X_train), spec.batch_size
    last_start = (n - 1) // B * B
    uses_gradient = optimizer.gradient != "none"
    grads = [np.empty_like(wi) for wi in w] if uses_gradient else None
    compiled = spec.engine == "fused" and dtype == np.float64 and B == 1
    before = [np.empty_like(wi) for wi in w]  # the weights before the epoch's last step
    state = optimizer.init(w, noise_rng)
    # One BLAS thread: the products here are vector-matrix sized, and runs
    # already fill the cores as separate processes; two workers each waking
    # OpenBLAS's thread pool on two cores made the seed-2018 preset 2.7x slower.
    # (A process-wide setting, harmless to the caller while the generator is suspended.)
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(spec.epochs):
            # Entered and left within the epoch, never held across a yield: generators advanced in
            # turn (lockstep) would otherwise restore each other's settings in the wrong order.
            with np.errstate(all="ignore"), kernels.fused(spec.engine == "fused"):
                started = time.perf_counter()
                order = epoch_order(spec, n, order_rng)
                logged = 0.0
                for start in range(0, n, B):
                    X, y = X_train[order[start : start + B]], y_train[order[start : start + B]]
                    lit_rows_only = compiled and start != last_start  # the epoch's last gradient is whole, for its norm
                    active = None
                    if optimizer.gradient == "current":
                        cost, active = gradient_into(grads, w, X, y, activation, lit_rows_only)
                        logged += cost
                    else:
                        logged += batch_cost(w, X, y, activation)
                        if optimizer.gradient == "lookahead":
                            _, active = gradient_into(grads, optimizer.lookahead(w, state), X, y, activation, lit_rows_only)
                    if start == last_start:
                        grad_norm = [frobenius(g) for g in grads] if uses_gradient else [0.0, 0.0, 0.0]
                        for wi, old in zip(w, before):
                            np.copyto(old, wi)
                    w, state = optimizer.update(w, grads, state, active)
                update_norm = [frobenius(np.subtract(after, old, out=old)) for after, old in zip(w, before)]
                ended = recorder.end_epoch(epoch, w, logged, grad_norm, update_norm, time.perf_counter() - started)
            if ended:
                return
            yield w
