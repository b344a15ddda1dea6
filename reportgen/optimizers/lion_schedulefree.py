r"""Lion and the schedule-free methods: the textbook variant only, with their reference library's
names and defaults (torch.optim has none of them).

Lion steps by the sign of an interpolated momentum; the schedule-free methods
take their gradient at an interpolation y of the averaged weights x and the
base iterate z, and the weights are x. ``params`` hold x; the chain's state
holds z, and ``lookahead`` gives y.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from reportgen.errors import ConfigError
from reportgen.optimizers.base import Rule, Transform, chain
from reportgen.optimizers.textbook import TEXTBOOK
from reportgen.optimizers.moments import scale_by_adam, step_bias_correction
from reportgen.optimizers.transforms import decay_weights, scale


def _interpolate(start, end, weight, out):
    """out <- start + weight (end - start), as torch.lerp computes it for weights below 1/2.

    ``out`` may be ``end`` but not ``start``.
    """
    np.subtract(end, start, out=out)
    np.multiply(out, weight, out=out)
    np.add(out, start, out=out)


class MomentumState(NamedTuple):
    momentum: list[np.ndarray]
    scratch: list[np.ndarray]


def interpolate_momentum(beta1: float, beta2: float) -> Transform:
    """Lion's two interpolations: u <- beta1 m + (1 - beta1) u, then m <- beta2 m + (1 - beta2) g (g the incoming u).

    The step looks at the gradient with beta1, the memory keeps it with beta2 (> beta1 by default).
    """

    def init(params, rng):
        return MomentumState([np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])

    def update(updates, state, params):
        for u, m, scratch in zip(updates, state.momentum, state.scratch):
            _interpolate(m, u, 1.0 - beta1, out=scratch)
            _interpolate(m, u, 1.0 - beta2, out=u)
            np.copyto(m, u)
            np.copyto(u, scratch)
        return updates, state

    return Transform(init, update)


def scale_by_sign() -> Transform:
    """u <- sign(u): every weight moves by the same amount, whatever the gradient's size."""

    def init(params, rng):
        return None

    def update(updates, state, params):
        for u in updates:
            np.sign(u, out=u)
        return updates, state

    return Transform(init, update)


class ScheduleFreeState(NamedTuple):
    count: int  # steps already taken
    weight_sum: float  # sum of the averaging weights so far
    lr_max: float  # the largest scheduled learning rate so far (-1 before the first step)
    z: list[np.ndarray]  # the base iterate
    scratch: list[np.ndarray]  # y, for the weight decay; empty without decay, so its loop does not run


def schedule_free_average(lr: float, momentum: float, weight_decay: float, warmup_steps: int, r: float, weight_lr_power: float) -> Transform:
    """Defazio et al. 2024 as the ``schedulefree`` package steps, with params holding x:

    u <- u + weight_decay y;  z <- z - lr_t u;  x <- (1 - c) x + c z,
    lr_t = lr min(1, t / warmup_steps), c = t^r lr_max^p / sum_{i<=t} i^r lr_max,i^p (p = weight_lr_power).
    The output is x - x_new = c (x - z).
    """

    def init(params, rng):
        scratch = [np.empty_like(p) for p in params] if weight_decay != 0.0 else []
        return ScheduleFreeState(0, 0.0, -1.0, [p.copy() for p in params], scratch)

    def update(updates, state, params):
        t = state.count + 1
        lr_t = lr * (t / warmup_steps) if t <= warmup_steps else lr
        lr_max = max(lr_t, state.lr_max)
        weight = t**r * lr_max**weight_lr_power
        weight_sum = state.weight_sum + weight
        c = weight / weight_sum if weight_sum != 0.0 else 0.0  # lr = 0: no weight yet, x stays
        for u, x, z, y in zip(updates, params, state.z, state.scratch):  # the decay, at y
            _interpolate(x, z, 1.0 - momentum, out=y)
            y *= weight_decay
            u += y
        for u, x, z in zip(updates, params, state.z):
            u *= lr_t
            z -= u
            np.subtract(x, z, out=u)
            u *= c
        return updates, ScheduleFreeState(t, weight_sum, lr_max, state.z, state.scratch)

    return Transform(init, update)


def schedule_free_point(momentum: float, part: int) -> Callable:
    """The gradient point y = (1 - momentum) z + momentum x, z from the chain's ``part``-th part."""

    def lookahead(params, parts_state, out):
        for x, z, y in zip(params, parts_state[part].z, out):
            _interpolate(x, z, 1.0 - momentum, out=y)
        return out

    return lookahead


@TEXTBOOK.method(
    "lion",
    equation=(
        r"u = \mathrm{sign}\left(\beta_1 m + (1 - \beta_1) g\right)",
        r"w \leftarrow w - \mathrm{lr}\, (u + \lambda w)",
        r"m \leftarrow \beta_2 m + (1 - \beta_2) g",
    ),
    references=("chen2023lion",),
)
def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    """Chen et al. 2023 as pytorch-optimizer's Lion (its defaults, the paper's too; lambda = weight_decay, decoupled)."""
    beta1, beta2 = betas
    return Rule(chain(interpolate_momentum(beta1, beta2), scale_by_sign(), *decay_weights(weight_decay), scale(lr)))


SCHEDULE_FREE_EQUATION = (
    r"y = (1 - \beta) z + \beta x \text{ (the gradient } g \text{ is taken at } y\text{)}",
    r"\mathrm{lr}_t = \mathrm{lr} \min\left(1, \frac{t}{T_{\mathrm{warmup}}}\right), \quad"
    r" c_t = \frac{t^{r} \max_{i \le t} \mathrm{lr}_i^{p}}{\sum_{s=1}^{t} s^{r} \max_{i \le s} \mathrm{lr}_i^{p}}",
)


@TEXTBOOK.method(
    "schedule_free_sgd",
    equation=(
        *SCHEDULE_FREE_EQUATION,
        r"z \leftarrow z - \mathrm{lr}_t\, (g + \lambda y), \quad x \leftarrow (1 - c_t) x + c_t z",
    ),
    references=("defazio2024",),
)
def schedule_free_sgd(lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0):
    """schedulefree.SGDScheduleFree 1.4.1 (its names and defaults; beta = momentum, lambda = weight_decay,
    p = weight_lr_power); the weights are x, the package's eval() weights.

    momentum may be 0 (the gradient at z, x its running average) or 1 (the gradient at x): the
    package refuses both because its eval() recovers x from y by dividing by momentum; we keep x.
    """
    if not 0.0 <= momentum <= 1.0:
        raise ConfigError(f"schedule_free_sgd (textbook): hyperparameter 'momentum' must be in [0, 1], got {momentum!r}")
    return Rule(
        chain(schedule_free_average(lr, momentum, weight_decay, warmup_steps, r, weight_lr_power)),
        gradient="lookahead",
        lookahead=schedule_free_point(momentum, part=0),
    )


@TEXTBOOK.method(
    "schedule_free_adamw",
    equation=(
        *SCHEDULE_FREE_EQUATION,
        r"v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}, \quad"
        r" z \leftarrow z - \mathrm{lr}_t \left(\frac{g}{\sqrt{v / (1 - \beta_2^{t})} + \epsilon} + \lambda y\right)",
        r"x \leftarrow (1 - c_t) x + c_t z",
    ),
    references=("defazio2024", "kingma2014"),
)
def schedule_free_adamw(lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0):
    """schedulefree.AdamWScheduleFree 1.4.1 (its names and defaults; beta = beta1). The gradient's scale
    is Adam's with beta1 = 0: the momentum is in the interpolation y, not in a first moment."""
    beta1, beta2 = betas
    return Rule(
        chain(
            scale_by_adam(0.0, beta2, eps, step_bias_correction(0.0, beta2)),
            schedule_free_average(lr, beta1, weight_decay, warmup_steps, r, weight_lr_power),
        ),
        gradient="lookahead",
        lookahead=schedule_free_point(beta1, part=1),
    )
