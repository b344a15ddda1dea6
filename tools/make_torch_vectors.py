"""Record torch.optim trajectories for the parity check (reportgen/verification/parity.py).

Run with a separate venv that has torch (torch is never a reportgen dependency):

    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install numpy torch==2.13.0
    /work/torchenv/bin/python tools/make_torch_vectors.py reportgen/verification/vectors/torch.npz

For methods a-h of the textbook variant, with torch's defaults and with one
non-default setting, it trains three small float64 tensors of different
shapes on a fixed non-convex loss for STEPS steps and stores, for every step,
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
}


def loss(params, curvature, wiggle):
    """Sum of c p^2 / 2 + d sin(3 p): gradients of order one that depend on where p is."""
    return sum((c * p**2 / 2 + d * torch.sin(3 * p)).sum() for p, c, d in zip(params, curvature, wiggle))


def record(optimizer_class, arguments, seed, schedule=None):
    """``schedule(optimizer)``, if given, makes an lr scheduler that steps after every optimizer step."""
    generator = np.random.default_rng(seed)
    initial = [generator.standard_normal(shape) for shape in SHAPES]
    curvature = [torch.from_numpy(generator.uniform(0.2, 2.0, shape)) for shape in SHAPES]
    wiggle = [torch.from_numpy(generator.uniform(-1.0, 1.0, shape)) for shape in SHAPES]
    params = [torch.tensor(array, requires_grad=True) for array in initial]
    optimizer = optimizer_class(params, **arguments)
    scheduler = schedule(optimizer) if schedule else None
    grads = [np.empty((STEPS, *shape)) for shape in SHAPES]
    after = [np.empty((STEPS, *shape)) for shape in SHAPES]
    for step in range(STEPS):
        optimizer.zero_grad()
        loss(params, curvature, wiggle).backward()
        for index, p in enumerate(params):
            grads[index][step] = p.grad.numpy()
        optimizer.step()
        if scheduler:
            scheduler.step()
        for index, p in enumerate(params):
            after[index][step] = p.detach().numpy()
    return initial, grads, after


def store(arrays: dict, key: str, hyperparams: dict, trajectory) -> None:
    """The keys parity.py reads for one recorded run: its settings, then per tensor the start and every step."""
    initial, grads, after = trajectory
    arrays[f"{key}/hyperparams"] = np.array(json.dumps(hyperparams))
    for index in range(len(SHAPES)):
        arrays[f"{key}/initial/{index}"] = initial[index]
        arrays[f"{key}/grads/{index}"] = grads[index]
        arrays[f"{key}/params/{index}"] = after[index]


def main(path: str) -> None:
    # Float64 step counters and mu products, so torch's scalars are as exact as ours.
    torch.set_default_dtype(torch.float64)
    arrays = {"library": np.array("torch"), "version": np.array(torch.__version__), "script": np.array("tools/make_torch_vectors.py"), "steps": np.array(STEPS)}
    for case_index, (method, (optimizer_class, fixed, configs)) in enumerate(CASES.items()):
        for config_index, (config, hyperparams) in enumerate(configs):
            store(arrays, f"{method}/{config}", hyperparams, record(optimizer_class, {**fixed, **hyperparams}, seed=100 * case_index + config_index))
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/torch.npz")
