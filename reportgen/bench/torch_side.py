"""The same training step in torch.optim, eager, for the bench's comparison; only when torch is installed.

torch is never a dependency of reportgen: a user who wants this column
installs it (``pip install torch``). The step is the textbook run the bench
times in the engine, in torch's terms: the same 784-256-128-1 network without
biases (ELU, tanh, sigmoid), the same initial weights, images, order and
batch, the cost 0.5 * sum((a3 - y)^2), float64, on one thread (the engine
runs one process per core); then ``zero_grad``, ``backward`` and the
optimizer's ``step`` with the method's textbook hyperparameters, which use
torch's names and defaults.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

# The textbook methods torch.optim has: our name -> (class name, arguments beyond the hyperparameters).
TORCH_METHODS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {}),
    "nesterov": ("SGD", {"nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "adadelta": ("Adadelta", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "nadam": ("NAdam", {}),
    "adamw": ("AdamW", {}),
    "adamax": ("Adamax", {}),
    "amsgrad": ("Adam", {"amsgrad": True}),
    "radam": ("RAdam", {}),
}


def torch_version() -> str:
    """torch's version, or "" when it is not installed."""
    try:
        import torch
    except ImportError:
        return ""
    return torch.__version__


def torch_seconds_per_step(name: str, hyperparams: dict, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray, steps: int, repeats: int) -> float:
    """Median seconds per batch-1 step of ``steps`` steps over the rows of X in order, ``repeats`` times."""
    import torch

    torch.set_num_threads(1)
    class_name, extra = TORCH_METHODS[name]
    images = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    targets = torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(len(X), -1))
    timings = []
    for _ in range(repeats):
        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
        optimizer = getattr(torch.optim, class_name)(params, **hyperparams, **extra)
        w1, w2, w3 = params
        started = time.perf_counter()
        for step in range(steps):
            row = step % len(images)
            x, target = images[row : row + 1], targets[row : row + 1]
            output = torch.sigmoid(torch.tanh(torch.nn.functional.elu(x @ w1) @ w2) @ w3)
            loss = 0.5 * torch.sum((output - target) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        timings.append((time.perf_counter() - started) / steps)
    return statistics.median(timings)
