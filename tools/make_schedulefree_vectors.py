"""Record schedulefree trajectories for the parity check (reportgen/verification/parity.py).

Run with a separate venv that has torch and schedulefree (never reportgen dependencies):

    python3 -m venv /work/refenv && /work/refenv/bin/pip install numpy torch==2.13.0 schedulefree==1.4.1
    /work/refenv/bin/python tools/make_schedulefree_vectors.py reportgen/verification/vectors/schedulefree.npz

The same float64 problem as tools/make_torch_vectors.py, for SGDScheduleFree and
AdamWScheduleFree with the package's defaults and with every setting changed.
The package keeps y, the point its gradient is taken at, in the parameters; x,
the weights reportgen keeps and evaluates, is what its ``eval()`` would put
there, computed here the same way without switching modes (a round trip of
``eval()`` and ``train()`` would round y). Both are recorded: x as ``params``,
y as ``points``.
"""

from __future__ import annotations

import sys
from importlib.metadata import version

import schedulefree
import torch

from make_torch_vectors import write


def in_train_mode(optimizer_class):
    """The package's optimizer, switched to train mode (gradients at y) before its first step."""

    def make(params, **arguments):
        optimizer = optimizer_class(params, **arguments)
        optimizer.train()
        return optimizer

    return make


# method -> (the package's optimizer, fixed arguments, [(setting, hyperparameters: the package's names are reportgen's)])
CASES = {
    "schedule_free_sgd": (
        in_train_mode(schedulefree.SGDScheduleFree),
        {},
        [
            ("default", {}),
            ("custom", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.01, "warmup_steps": 20, "r": 0.5, "weight_lr_power": 1.0}),
        ],
    ),
    "schedule_free_adamw": (
        in_train_mode(schedulefree.AdamWScheduleFree),
        {},
        [
            ("default", {}),
            (
                "custom",
                {"lr": 0.01, "betas": [0.95, 0.99], "eps": 1e-6, "weight_decay": 0.05, "warmup_steps": 30, "r": 1.0, "weight_lr_power": 1.5},
            ),
        ],
    ),
}


def x_of(optimizer, p):
    """What ``eval()`` sets p to: y.lerp(z, 1 - 1/beta), beta the group's momentum or beta1."""
    group = optimizer.param_groups[0]
    beta = group["momentum"] if "momentum" in group else group["betas"][0]
    return torch.lerp(p, optimizer.state[p]["z"], 1 - 1 / beta)


def main(path: str) -> None:
    write(path, "schedulefree", version("schedulefree"), "tools/make_schedulefree_vectors.py", CASES, first_seed=1000, evaluated=x_of)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/schedulefree.npz")
