"""The end of a chain and the subtraction from the weights, taken in one kernel pass (see ``kernels``).

Most methods end alike: a part with a kernel (a trace, a root of squares,
Adam's moments), the learning rate (``scale``), then the subtraction
w <- w - u that ``Optimizer.update`` does. Part by part that is a pass over
the weights for each; ``plan`` finds the ending

    [*prefix, scale(before)?, core, scale(after)?]

in a chain, and ``step`` runs the prefix parts as they are, then the core's
kernel with both factors and the subtraction folded in. A chain that ends
in ``scale`` without a core (SGD, the noise methods) gets the subtraction
alone (``kernels.descend``). Any other chain runs part by part. The numbers
are those of the parts, bit for bit: the kernels evaluate the same
operations in the same order (tests/test_kernels.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from reportgen.optimizers import kernels
from reportgen.optimizers.kernels import rows


class Plan(NamedTuple):
    prefix: int  # the first ``prefix`` parts run as they are
    core: int | None  # the part whose kernel takes the step; None: the subtraction alone
    before: float  # the factor of a ``scale`` just before the core (1: none)
    after: float  # the factor of the final ``scale`` (1: none)


def plan(transform) -> Plan | None:
    """How ``transform``'s chain ends in one kernel pass, or None when it has no such ending."""
    parts = transform.parts
    end, before, after, core = len(parts), 1.0, 1.0, None
    if end and parts[end - 1].factor is not None:
        end, after = end - 1, parts[end - 1].factor
    if end and parts[end - 1].fused is not None:
        end, core = end - 1, end - 1
        if end and parts[end - 1].factor is not None:
            end, before = end - 1, parts[end - 1].factor
    elif end == len(parts):
        return None
    return Plan(end, core, before, after)


def zero_inactive(grads, active: np.ndarray) -> None:
    """Write the zeros the caller left out: the rows of the first gradient outside ``active``."""
    grads[0][~active] = 0.0


def step(transform, grads, state: tuple, params, active: np.ndarray | None):
    """Take the step with the kernels where they fit.

    Returns None when they do not (nothing done), else ``(state, steps)``:
    ``steps`` is None when the weights were updated, or the updates still to
    be subtracted when the prefix parts returned arrays a kernel cannot take.
    ``active`` (or None: every row) marks the rows of ``grads[0]`` that hold the
    gradient; the others hold leftovers and are read as zero.
    """
    layout = plan(transform)
    if layout is None or not kernels.applies(*params, *(grads or ())):
        return None
    parts, state = transform.parts, list(state)
    if layout.prefix and active is not None:  # the prefix parts read every row
        zero_inactive(grads, active)
        active = None
    updates = grads
    for index in range(layout.prefix):
        updates, state[index] = parts[index].update(updates, state[index], params)
    if not kernels.applies(*updates):
        for index in range(layout.prefix, len(parts)):
            updates, state[index] = parts[index].update(updates, state[index], params)
        return tuple(state), updates
    actives = kernels.every_row(params)
    if active is not None:
        actives[0] = active
    if layout.core is None:
        skip = kernels.keeps_zero(layout.before, layout.after)  # a zero gradient leaves the weight as it is
        for u, rows_read, w in zip(updates, actives, params):
            kernels.descend(rows(u), rows_read, rows(w), layout.before, layout.after, skip)
    else:
        core = layout.core
        state[core] = parts[core].fused(updates, state[core], params, True, layout.before, layout.after, actives)
    return tuple(state), None
