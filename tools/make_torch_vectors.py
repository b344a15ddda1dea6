"""Record torch.optim trajectories for the parity check (reportgen/verification/parity.py).

Run with a separate venv that has torch (torch is never a reportgen dependency):

    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install numpy torch==2.13.0
    /work/torchenv/bin/python tools/make_torch_vectors.py reportgen/verification/vectors/torch.npz

For the textbook methods torch has, with torch's defaults and with one or
more non-default settings, it trains three small float64 tensors of different
shapes (SHAPES, or the method's own in SHAPES_OF) on a fixed non-convex loss for STEPS steps and stores, for every step,
the gradient torch used and the parameters after torch's step. The file ships
inside the package: tests/test_parity.py and the report's Verification
section feed those gradients to reportgen's optimizer and compare the parameters.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

STEPS = 200
SHAPES = ((3, 2), (4,), (2, 1, 2))

# method -> (torch class, fixed torch arguments, [(config name, hyperparameters)])
CASES = {
    "sgd": (torch.optim.SGD, {}, [("default", {}), ("custom", {"lr": 0.05})]),
    "momentum": (torch.optim.SGD, {}, [("default", {"momentum": 0.9}), ("custom", {"lr": 0.02, "momentum": 0.5})]),
    "nesterov": (torch.optim.SGD, {"nesterov": True}, [("default", {"momentum": 0.9}), ("custom", {"lr": 0.01, "momentum": 0.95})]),
    "adagrad": (torch.optim.Adagrad, {}, [("default", {}), ("custom", {"lr": 0.1, "eps": 1e-6, "initial_accumulator_value": 0.3})]),
    "adadelta": (torch.optim.Adadelta, {}, [("default", {}), ("custom", {"lr": 0.5, "rho": 0.7, "eps": 1e-4})]),
    "rmsprop": (torch.optim.RMSprop, {}, [("default", {}), ("custom", {"lr": 0.003, "alpha": 0.9, "eps": 1e-5})]),
    "adam": (torch.optim.Adam, {}, [("default", {}), ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6})]),
    "nadam": (
        torch.optim.NAdam,
        {},
        [("default", {}), ("custom", {"lr": 0.005, "betas": [0.85, 0.995], "eps": 1e-7, "momentum_decay": 0.01})],
    ),
    "rprop": (torch.optim.Rprop, {}, [("default", {}), ("custom", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.2]})]),
    "adafactor": (
        torch.optim.Adafactor,
        {},
        [("default", {}), ("custom", {"lr": 0.05, "beta2_decay": -0.5, "eps": [1e-20, 1e-2], "d": 2.0, "weight_decay": 0.1})],
    ),
    "muon": (
        torch.optim.Muon,
        {},
        [
            ("default", {}),
            ("custom", {"lr": 0.01, "weight_decay": 0.05, "momentum": 0.9, "nesterov": False, "eps": 1e-6, "adjust_lr_fn": "match_rms_adamw"}),
            ("quintic", {"lr": 0.02, "weight_decay": 0.0, "ns_coefficients": [1.875, -1.25, 0.375], "ns_steps": 3}),
        ],
    ),
}
# Muon takes only 2-D weights: matrices wide, tall and square-ish; Adafactor's SHAPES hold a matrix, a vector
# and a stack of matrices, so both its factored and its vector path are recorded.
SHAPES_OF = {"muon": ((3, 2), (4, 5), (2, 6))}


def loss(params, curvature, wiggle):
    """Sum of c p^2 / 2 + d sin(3 p): gradients of order one that depend on where p is."""
    return sum((c * p**2 / 2 + d * torch.sin(3 * p)).sum() for p, c, d in zip(params, curvature, wiggle))


def record(optimizer_class, arguments, seed, shapes):
    generator = np.random.default_rng(seed)
    initial = [generator.standard_normal(shape) for shape in shapes]
    curvature = [torch.from_numpy(generator.uniform(0.2, 2.0, shape)) for shape in shapes]
    wiggle = [torch.from_numpy(generator.uniform(-1.0, 1.0, shape)) for shape in shapes]
    params = [torch.tensor(array, requires_grad=True) for array in initial]
    optimizer = optimizer_class(params, **arguments)
    grads = [np.empty((STEPS, *shape)) for shape in shapes]
    after = [np.empty((STEPS, *shape)) for shape in shapes]
    for step in range(STEPS):
        optimizer.zero_grad()
        loss(params, curvature, wiggle).backward()
        for index, p in enumerate(params):
            grads[index][step] = p.grad.numpy()
        optimizer.step()
        for index, p in enumerate(params):
            after[index][step] = p.detach().numpy()
    return initial, grads, after


def main(path: str) -> None:
    # Float64 step counters and mu products, so torch's scalars are as exact as ours.
    torch.set_default_dtype(torch.float64)
    arrays = {"library": np.array("torch"), "version": np.array(torch.__version__), "script": np.array("tools/make_torch_vectors.py"), "steps": np.array(STEPS)}
    for case_index, (method, (optimizer_class, fixed, configs)) in enumerate(CASES.items()):
        for config_index, (config, hyperparams) in enumerate(configs):
            shapes = SHAPES_OF.get(method, SHAPES)
            initial, grads, after = record(optimizer_class, {**fixed, **hyperparams}, 100 * case_index + config_index, shapes)
            key = f"{method}/{config}"
            arrays[f"{key}/hyperparams"] = np.array(json.dumps(hyperparams))
            for index in range(len(shapes)):
                arrays[f"{key}/initial/{index}"] = initial[index]
                arrays[f"{key}/grads/{index}"] = grads[index]
                arrays[f"{key}/params/{index}"] = after[index]
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/torch.npz")
