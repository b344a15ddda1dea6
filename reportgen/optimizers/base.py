"""The plumbing every method is built from: parts, ``chain`` and ``Optimizer``.

As in optax, a *part* is a pair of functions held in a ``Transform``:

* ``init(params, rng) -> state``
* ``update(updates, state, params) -> (updates, state)``

``updates`` is a list of arrays shaped like ``params``. Unlike optax, parts
work IN PLACE: a part overwrites ``updates`` (or returns its own buffers) and
mutates the arrays of its state, so a training step allocates nothing of the
size of the 784 x 256 weight matrix. A method is a ``chain`` of parts whose
output is the step *subtracted* from the weights, w <- w - u, which is how both
torch.optim and the 2018 script write their updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from reportgen.optimizers import fusion

GRADIENT_KINDS = ("current", "lookahead", "none")


class Transform(NamedTuple):
    init: Callable[[list[np.ndarray], Any], Any]
    update: Callable[[list[np.ndarray], Any, list[np.ndarray]], tuple[list[np.ndarray], Any]]
    # For ``fusion``, which takes a chain's last parts and the subtraction from the weights in one kernel pass:
    fused: Callable | None = None  # the part by its kernel: (updates, state, outs, subtract, before, after, actives) -> state
    factor: float | None = None  # set by ``transforms.scale``: its factor, which the kernel folds in
    parts: tuple = ()  # set by ``chain``: its parts


def chain(*parts: Transform) -> Transform:
    """Run ``parts`` one after another; the state is the tuple of their states."""

    def init(params, rng):
        return tuple(part.init(params, rng) for part in parts)

    def update(updates, state, params):
        new_state = []
        for part, part_state in zip(parts, state):
            updates, part_state = part.update(updates, part_state, params)
            new_state.append(part_state)
        return updates, tuple(new_state)

    return Transform(init, update, parts=parts)


class Rule(NamedTuple):
    """What a method builder returns: its chain and where its gradient is taken.

    ``lookahead(params, chain_state, out) -> out`` fills ``out`` with the point
    at which the gradient must be evaluated; only for ``gradient="lookahead"``.
    """

    transform: Transform
    gradient: str = "current"
    lookahead: Callable | None = None


class OptimizerState(NamedTuple):
    count: int  # steps already taken
    parts: tuple  # the chain's state, one entry per part
    rng: Any  # numpy Generator or RandomState every noise draw comes from
    lookahead: list[np.ndarray] | None  # buffer for the look-ahead point


def default_rng() -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(0))


@dataclass(frozen=True)
class Optimizer:
    """One configured method. ``update`` modifies ``params`` and ``grads`` in place.

    Contract for a training step, by ``gradient``:

    * ``"current"``: grads = dJ/dw at ``params``;
    * ``"lookahead"``: grads = dJ/dw at ``lookahead(params, state)``;
    * ``"none"``: no gradient is used, pass ``grads=None``.

    ``update(params, grads, state)`` subtracts the step from ``params`` in
    place and returns ``(params, state)``. It also uses ``grads`` as scratch
    space: their values afterwards are unspecified (copy them first if you
    need them). With ``active_rows``, a mask over the rows of ``grads[0]``,
    only those rows hold the gradient: the others are zero, whatever they
    hold (the engine writes the rows of lit pixels alone).
    """

    name: str
    variant: str
    hyperparams: dict
    rule: Rule  # with a schedule: the rule of the first step
    schedule: dict | None = None  # the resolved learning-rate schedule (schedules.resolve); None: lr stays put
    rule_at: Callable[[int], Rule] | None = None  # with a schedule: the rule of each step, rebuilt with its lr

    @property
    def gradient(self) -> str:
        return self.rule.gradient

    def init(self, params: Sequence[np.ndarray], rng=None) -> OptimizerState:
        rng = default_rng() if rng is None else rng
        params = list(params)
        lookahead = [np.empty_like(p) for p in params] if self.rule.lookahead else None
        return OptimizerState(0, self.rule.transform.init(params, rng), rng, lookahead)

    def lookahead(self, params: Sequence[np.ndarray], state: OptimizerState) -> list[np.ndarray]:
        """The point where this step's gradient is taken (a buffer of the state, reused every step)."""
        rule = self.rule if self.rule_at is None else self.rule_at(state.count)
        if rule.lookahead is None:
            return list(params)
        return rule.lookahead(params, state.parts, state.lookahead)

    def update(self, params: list[np.ndarray], grads: list[np.ndarray] | None, state: OptimizerState, active_rows: np.ndarray | None = None):
        if (grads is None) != (self.gradient == "none"):
            expected = "grads=None" if self.gradient == "none" else "the gradient"
            raise ValueError(f"{self.name} ({self.variant}) update expects {expected}")
        rule = self.rule if self.rule_at is None else self.rule_at(state.count)
        fused = fusion.step(rule.transform, grads, state.parts, params, active_rows)
        if fused is None:
            if active_rows is not None:
                fusion.zero_inactive(grads, active_rows)
            steps, parts = rule.transform.update(grads, state.parts, params)
        else:
            parts, steps = fused
            if steps is None:
                return params, state._replace(count=state.count + 1, parts=parts)
        if len(steps) != len(params) or any(step.shape != weight.shape for weight, step in zip(params, steps)):
            # np.subtract would broadcast a step of another shape, and zip would skip the weights after a short list
            shapes = [getattr(step, "shape", None) for step in steps]
            raise ValueError(f"{self.name} ({self.variant}): the step's shapes {shapes} are not the weights' {[w.shape for w in params]}")
        for weight, step in zip(params, steps):
            np.subtract(weight, step, out=weight, casting="same_kind")
        return params, state._replace(count=state.count + 1, parts=parts)
