"""Record torch.optim trajectories for the parity check (reportgen/verification/parity.py).

Run with a separate venv that has torch (torch is never a reportgen dependency):

    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install numpy torch==2.13.0
    /work/torchenv/bin/python tools/make_torch_vectors.py reportgen/verification/vectors/torch.npz

For the textbook methods torch has, with torch's defaults and with one or
more non-default settings (weight decay among them), it trains three small float64 tensors of different
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

# method -> (torch class, fixed torch arguments, [(config name, hyperparameters)]). Append new cases and
# settings at the end: the seed of a trajectory is its method's place here and its setting's place in the list.
CASES = {
    "sgd": (torch.optim.SGD, {}, [("default", {}), ("custom", {"lr": 0.05}), ("weight_decay", {"lr": 0.05, "weight_decay": 0.3})]),
    "momentum": (
        torch.optim.SGD,
        {},
        [("default", {"momentum": 0.9}), ("custom", {"lr": 0.02, "momentum": 0.5}), ("weight_decay", {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.2})],
    ),
    "nesterov": (
        torch.optim.SGD,
        {"nesterov": True},
        [("default", {"momentum": 0.9}), ("custom", {"lr": 0.01, "momentum": 0.95}), ("weight_decay", {"lr": 0.01, "momentum": 0.95, "weight_decay": 0.2})],
    ),
    "adagrad": (
        torch.optim.Adagrad,
        {},
        [
            ("default", {}),
            ("custom", {"lr": 0.1, "eps": 1e-6, "initial_accumulator_value": 0.3}),
            ("weight_decay", {"lr": 0.1, "initial_accumulator_value": 0.3, "weight_decay": 0.5}),
        ],
    ),
    "adadelta": (
        torch.optim.Adadelta,
        {},
        [("default", {}), ("custom", {"lr": 0.5, "rho": 0.7, "eps": 1e-4}), ("weight_decay", {"lr": 0.5, "rho": 0.7, "eps": 1e-4, "weight_decay": 0.5})],
    ),
    "rmsprop": (
        torch.optim.RMSprop,
        {},
        [("default", {}), ("custom", {"lr": 0.003, "alpha": 0.9, "eps": 1e-5}), ("weight_decay", {"lr": 0.003, "alpha": 0.9, "weight_decay": 0.5})],
    ),
    "adam": (
        torch.optim.Adam,
        {},
        [("default", {}), ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6}), ("weight_decay", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.5})],
    ),
    "nadam": (
        torch.optim.NAdam,
        {},
        [
            ("default", {}),
            ("custom", {"lr": 0.005, "betas": [0.85, 0.995], "eps": 1e-7, "momentum_decay": 0.01}),
            ("weight_decay", {"lr": 0.005, "betas": [0.85, 0.995], "momentum_decay": 0.01, "weight_decay": 0.5}),
        ],
    ),
    "adamw": (torch.optim.AdamW, {}, [("default", {}), ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.5})]),
    "adamax": (torch.optim.Adamax, {}, [("default", {}), ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-4, "weight_decay": 0.5})]),
    "amsgrad": (torch.optim.Adam, {"amsgrad": True}, [("default", {}), ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.5})]),
    "radam": (
        torch.optim.RAdam,
        {},
        [
            ("default", {}),
            ("custom", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.5}),
            ("decoupled", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.5, "decoupled_weight_decay": True}),
            # beta2 = 0.9 makes rho_inf 19 and rho_t > 5 from step 3 on; 0.6 makes rho_inf 4: never rectified
            ("unrectified", {"lr": 0.01, "betas": [0.9, 0.6]}),
        ],
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


def record(optimizer_class, arguments, seed, evaluated=None, schedule=None, shapes=SHAPES):
    """The initial parameters, and per step the gradient and the parameters after the step.

    ``evaluated(optimizer, p)``, when given, is the weights to record after a step in place of
    ``p`` (schedule-free: x, while p holds the gradient point y); then the points the gradients
    were taken at are recorded too (else ``points`` is None). ``schedule(optimizer)``, if given,
    makes an lr scheduler that steps after every optimizer step.
    """
    generator = np.random.default_rng(seed)
    initial = [generator.standard_normal(shape) for shape in shapes]
    curvature = [torch.from_numpy(generator.uniform(0.2, 2.0, shape)) for shape in shapes]
    wiggle = [torch.from_numpy(generator.uniform(-1.0, 1.0, shape)) for shape in shapes]
    params = [torch.tensor(array, requires_grad=True) for array in initial]
    optimizer = optimizer_class(params, **arguments)
    scheduler = schedule(optimizer) if schedule else None
    grads = [np.empty((STEPS, *shape)) for shape in shapes]
    after = [np.empty((STEPS, *shape)) for shape in shapes]
    points = None if evaluated is None else [np.empty((STEPS, *shape)) for shape in shapes]
    for step in range(STEPS):
        optimizer.zero_grad()
        loss(params, curvature, wiggle).backward()
        for index, p in enumerate(params):
            grads[index][step] = p.grad.numpy()
            if points is not None:
                points[index][step] = p.detach().numpy()
        optimizer.step()
        if scheduler:
            scheduler.step()
        for index, p in enumerate(params):
            after[index][step] = (p if evaluated is None else evaluated(optimizer, p)).detach().numpy()
    return initial, grads, after, points


def store(arrays: dict, key: str, hyperparams: dict, recorded) -> None:
    """The keys parity.py reads for one recorded run: its settings, then per tensor the start, every step and the points."""
    arrays[f"{key}/hyperparams"] = np.array(json.dumps(hyperparams))
    for name, per_tensor in zip(("initial", "grads", "params", "points"), recorded):
        for index, array in enumerate(per_tensor or ()):
            arrays[f"{key}/{name}/{index}"] = array


def start(library: str, version: str, script: str) -> dict:
    """A vectors file's header keys; float64 step counters and mu products, so the library's scalars are as exact as ours."""
    torch.set_default_dtype(torch.float64)
    return {"library": np.array(library), "version": np.array(version), "script": np.array(script), "steps": np.array(STEPS)}


def write(path: str, library: str, version: str, script: str, cases: dict, first_seed: int = 0, evaluated=None) -> None:
    """Record every setting of every method in ``cases`` (method -> (optimizer class, fixed arguments,
    [(setting, hyperparameters)])) into the vectors file ``path``, in the layout parity.py reads."""
    arrays = start(library, version, script)
    for case_index, (method, (optimizer_class, fixed, configs)) in enumerate(cases.items()):
        for config_index, (config, hyperparams) in enumerate(configs):
            seed = first_seed + 100 * case_index + config_index
            store(arrays, f"{method}/{config}", hyperparams, record(optimizer_class, {**fixed, **hyperparams}, seed, evaluated, shapes=SHAPES_OF.get(method, SHAPES)))
    np.savez_compressed(path, **arrays)


def main(path: str) -> None:
    write(path, "torch", torch.__version__, "tools/make_torch_vectors.py", CASES)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/torch.npz")
