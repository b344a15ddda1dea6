"""Any problem's hand-written gradient against central finite differences.

For a sample of ``COORDINATES`` entries of every parameter array (all of them for a smaller array),
each entry alone is moved to w + k h for k = -2, -1, 1, 2 and the fourth-order central difference
(L(w - 2h) - 8 L(w - h) + 8 L(w + h) - L(w + 2h)) / 12h is compared with the gradient
``loss_and_grads`` returns at w, on the same batch, noise and all: a batch holds its noise draws, so the
loss is one function of w and a noisy gradient must be its gradient too. Its truncation error goes as h^4, so h can be 1e-4 (times max(1, |w|), to stay
relative to the entry it moves), where the rounding of the loss, about 1e-16 of it, weighs ten times
less than at the 1e-5 a two-point difference needs; a larger h would straddle the ELU's kink at 0,
where its second derivative jumps. An entry's relative error is |backprop - finite difference| over
the larger of the two and a floor, FLOOR times the array's largest gradient entry: an entry many
orders below its array's scale is all rounding in any difference, which says nothing of its gradient.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

STEP = 1e-4
OFFSETS = (-2, -1, 1, 2)  # in steps h
WEIGHTS = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0  # the stencil's coefficients, over h
COORDINATES = 32  # per parameter array
FLOOR = 1e-3
TOLERANCE = 1e-6  # issue 15: every problem's gradient within 1e-6 relative
SAMPLE_SEED = 0


def relative_errors(problem, params: list[np.ndarray], batch) -> list[float]:
    """Per parameter array, the largest relative error over its sample of entries."""
    # One BLAS thread: the last bits of a loss, which the differences expose, then cannot depend on
    # how many threads split a product (and the small products run faster so).
    with threadpool_limits(1):
        return _relative_errors(problem, params, batch)


def _relative_errors(problem, params, batch) -> list[float]:
    _, grads = problem.loss_and_grads(params, batch)
    moved = [np.array(w, dtype=float) for w in params]
    rng = np.random.default_rng(SAMPLE_SEED)
    errors = []
    for w, grad in zip(moved, grads):
        flat_w, flat_grad = w.reshape(-1), grad.reshape(-1)
        floor = FLOOR * np.max(np.abs(flat_grad))
        worst = 0.0
        for index in rng.choice(flat_w.size, min(COORDINATES, flat_w.size), replace=False):
            original = flat_w[index]
            h = STEP * max(1.0, abs(original))
            losses = []
            for offset in OFFSETS:
                flat_w[index] = original + offset * h
                losses.append(problem.loss_and_grads(moved, batch)[0])
            flat_w[index] = original
            difference = np.dot(WEIGHTS, losses) / h
            scale = max(abs(flat_grad[index]), abs(difference), floor)
            if scale > 0:  # both exactly zero, as for the weight of a pixel no image lights: they agree
                worst = max(worst, abs(flat_grad[index] - difference) / scale)
        errors.append(float(worst))
    return errors
