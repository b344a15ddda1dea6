"""Record torch.optim.lr_scheduler sequences and scheduled trajectories for the parity check
(reportgen/verification/parity.py).

Run with a Python that has torch 2.13.0 (torch is never a reportgen dependency):

    /work/venv/bin/python tools/make_schedule_vectors.py reportgen/verification/vectors/torch-schedules.npz

Two kinds of record, every schedule kind in reportgen's names with torch's defaults
("<kind>") and with other settings ("<kind>-custom", ...):

* the learning rate, ``scheduler.get_last_lr()`` after 0 .. LR_STEPS - 1 scheduler steps,
  and for onecycle the momentum (SGD) or beta1 (Adam) it sets, under ``lr/<case>/...``;
* optimizer + scheduler trajectories as tools/make_torch_vectors.py records them (same
  loss and tensors), with the schedule as ``<method>/<setting>/schedule``.
"""

from __future__ import annotations

import functools
import json
import sys

import numpy as np
import torch
from make_torch_vectors import record, start, store

LR_STEPS = 1000
BASE_LR = 0.1

# reportgen method -> (torch optimizer, fixed arguments)
OPTIMIZERS = {
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {}),
    "nesterov": (torch.optim.SGD, {"nesterov": True}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "nadam": (torch.optim.NAdam, {}),
    "radam": (torch.optim.RAdam, {}),
}
MOMENTUM = {"lr": 0.05, "momentum": 0.9}
ADAM = {"lr": 0.01, "betas": [0.8, 0.99]}

# (name, method, its hyperparameters, schedule) for the learning-rate sequences
LR_CASES = [
    ("constant", "momentum", {}, {"kind": "constant"}),
    ("constant-custom", "momentum", {}, {"kind": "constant", "factor": 0.5, "total_iters": 300}),
    ("step", "momentum", {}, {"kind": "step", "step_size": 100}),
    ("step-custom", "momentum", {}, {"kind": "step", "step_size": 7, "gamma": 0.9}),
    ("multistep", "momentum", {}, {"kind": "multistep", "milestones": [300, 600]}),
    ("multistep-custom", "momentum", {}, {"kind": "multistep", "milestones": [10, 50, 51, 700], "gamma": 0.5}),
    ("exponential", "momentum", {}, {"kind": "exponential", "gamma": 0.99}),
    ("exponential-custom", "momentum", {}, {"kind": "exponential", "gamma": 1.001}),
    ("cosine", "momentum", {}, {"kind": "cosine", "T_max": 1000}),
    ("cosine-custom", "momentum", {}, {"kind": "cosine", "T_max": 300, "eta_min": 1e-3}),
    ("cosine-to-zero", "momentum", {}, {"kind": "cosine", "T_max": 120}),
    ("linear", "momentum", {}, {"kind": "linear"}),
    ("linear-custom", "momentum", {}, {"kind": "linear", "start_factor": 1.0, "end_factor": 0.05, "total_iters": 800}),
    ("warmup_cosine", "momentum", {}, {"kind": "warmup_cosine", "warmup_steps": 100, "T_max": 900}),
    ("warmup_cosine-custom", "momentum", {}, {"kind": "warmup_cosine", "warmup_steps": 50, "start_factor": 0.01, "T_max": 400, "eta_min": 1e-4}),
    ("onecycle", "momentum", {}, {"kind": "onecycle", "total_steps": 1000}),
    ("onecycle-custom", "momentum", {}, {
        "kind": "onecycle", "max_lr": 0.3, "total_steps": 1200, "pct_start": 0.25, "anneal_strategy": "linear",
        "base_momentum": 0.8, "max_momentum": 0.9, "div_factor": 10.0, "final_div_factor": 100.0,
    }),
    ("onecycle-three-phase", "momentum", {}, {"kind": "onecycle", "total_steps": 1000, "pct_start": 0.4, "three_phase": True}),
    ("onecycle-adam", "adam", {}, {"kind": "onecycle", "total_steps": 1000, "base_momentum": 0.7}),
]

# (method, setting, hyperparameters, schedule) for the trajectories
TRAJECTORY_CASES = [
    ("momentum", "constant", MOMENTUM, {"kind": "constant"}),
    ("adam", "constant-custom", ADAM, {"kind": "constant", "factor": 0.5, "total_iters": 80}),
    ("momentum", "step", MOMENTUM, {"kind": "step", "step_size": 50}),
    ("adam", "step-custom", ADAM, {"kind": "step", "step_size": 30, "gamma": 0.5}),
    ("momentum", "multistep", MOMENTUM, {"kind": "multistep", "milestones": [60, 120]}),
    ("adam", "multistep-custom", ADAM, {"kind": "multistep", "milestones": [20, 100, 101], "gamma": 0.3}),
    ("momentum", "exponential", MOMENTUM, {"kind": "exponential", "gamma": 0.99}),
    ("adam", "exponential-custom", ADAM, {"kind": "exponential", "gamma": 0.98}),
    ("momentum", "cosine", MOMENTUM, {"kind": "cosine", "T_max": 200}),
    ("adam", "cosine-custom", ADAM, {"kind": "cosine", "T_max": 60, "eta_min": 1e-3}),
    ("nesterov", "cosine-to-zero", MOMENTUM, {"kind": "cosine", "T_max": 80}),
    ("momentum", "linear", MOMENTUM, {"kind": "linear"}),
    ("adam", "linear-custom", ADAM, {"kind": "linear", "start_factor": 1.0, "end_factor": 0.1, "total_iters": 150}),
    ("momentum", "warmup_cosine", MOMENTUM, {"kind": "warmup_cosine", "warmup_steps": 20, "T_max": 180}),
    ("adam", "warmup_cosine-custom", ADAM, {"kind": "warmup_cosine", "warmup_steps": 10, "start_factor": 0.05, "T_max": 100, "eta_min": 1e-4}),
    ("momentum", "onecycle", MOMENTUM, {"kind": "onecycle", "total_steps": 200}),
    ("adam", "onecycle", ADAM, {"kind": "onecycle", "total_steps": 200}),
    ("momentum", "onecycle-custom", MOMENTUM, {
        "kind": "onecycle", "max_lr": 0.02, "total_steps": 250, "pct_start": 0.2, "anneal_strategy": "linear", "three_phase": True,
        "base_momentum": 0.8, "max_momentum": 0.92, "div_factor": 10.0, "final_div_factor": 100.0,
    }),
    ("adam", "onecycle-custom", ADAM, {"kind": "onecycle", "max_lr": 0.03, "total_steps": 220, "pct_start": 0.4, "three_phase": True, "base_momentum": 0.6}),
    ("sgd", "onecycle-no-momentum", {"lr": 0.05}, {"kind": "onecycle", "total_steps": 200, "cycle_momentum": False}),
    # Beyond SGD and Adam: the modern preset's scheduled AdamW, NAdam's momentum product under a cycled beta1, RAdam's switch.
    ("adamw", "warmup_cosine", {"lr": 0.01, "weight_decay": 0.05}, {"kind": "warmup_cosine", "warmup_steps": 10, "T_max": 190}),
    ("nadam", "onecycle", {"lr": 0.01}, {"kind": "onecycle", "total_steps": 200}),
    ("radam", "cosine", {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}, {"kind": "cosine", "T_max": 150}),
]


def torch_scheduler(optimizer, schedule: dict):
    """torch's scheduler for a schedule in reportgen's names (onecycle's max_lr defaults to the optimizer's lr)."""
    given = {name: value for name, value in schedule.items() if name != "kind"}
    sched = torch.optim.lr_scheduler
    kind = schedule["kind"]
    if kind == "warmup_cosine":
        warmup = given["warmup_steps"]
        linear = sched.LinearLR(optimizer, start_factor=given.get("start_factor", 1.0 / 3), end_factor=1.0, total_iters=warmup)
        cosine = sched.CosineAnnealingLR(optimizer, T_max=given["T_max"], eta_min=given.get("eta_min", 0.0))
        return sched.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])
    if kind == "onecycle":
        given.setdefault("max_lr", optimizer.param_groups[0]["lr"])
    classes = {
        "constant": sched.ConstantLR, "step": sched.StepLR, "multistep": sched.MultiStepLR, "exponential": sched.ExponentialLR,
        "cosine": sched.CosineAnnealingLR, "linear": sched.LinearLR, "onecycle": sched.OneCycleLR,
    }
    return classes[kind](optimizer, **given)


def cycled(group) -> float:
    """What onecycle cycles in this optimizer: betas[0] where it has betas, else momentum."""
    return group["betas"][0] if "betas" in group else group["momentum"]


def record_lr(method: str, hyperparams: dict, schedule: dict) -> tuple[np.ndarray, np.ndarray]:
    optimizer_class, fixed = OPTIMIZERS[method]
    params = [torch.zeros(1, requires_grad=True)]
    optimizer = optimizer_class(params, **{**fixed, "lr": BASE_LR, **({"momentum": 0.9} if method == "momentum" else {}), **hyperparams})
    scheduler = torch_scheduler(optimizer, schedule)
    lrs, momenta = np.empty(LR_STEPS), np.empty(LR_STEPS)
    for step in range(LR_STEPS):
        lrs[step] = scheduler.get_last_lr()[0]
        momenta[step] = cycled(optimizer.param_groups[0])
        params[0].grad = torch.zeros(1)
        optimizer.step()
        scheduler.step()
    return lrs, momenta


def main(path: str) -> None:
    arrays = start("torch", torch.__version__, "tools/make_schedule_vectors.py")
    for name, method, hyperparams, schedule in LR_CASES:
        lrs, momenta = record_lr(method, hyperparams, schedule)
        key = f"lr/{name}"
        arrays[f"{key}/method"] = np.array(method)
        arrays[f"{key}/hyperparams"] = np.array(json.dumps({"lr": BASE_LR, **hyperparams}))
        arrays[f"{key}/schedule"] = np.array(json.dumps(schedule))
        arrays[f"{key}/lr"] = lrs
        if schedule["kind"] == "onecycle":
            arrays[f"{key}/{'beta1' if method == 'adam' else 'momentum'}"] = momenta
    for case_index, (method, setting, hyperparams, schedule) in enumerate(TRAJECTORY_CASES):
        optimizer_class, fixed = OPTIMIZERS[method]
        trajectory = record(optimizer_class, {**fixed, **hyperparams}, 5000 + case_index, schedule=functools.partial(torch_scheduler, schedule=schedule))
        store(arrays, f"{method}/{setting}", hyperparams, trajectory)
        arrays[f"{method}/{setting}/schedule"] = np.array(json.dumps(schedule))
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/torch-schedules.npz")
