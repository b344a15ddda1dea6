"""Record pytorch-optimizer trajectories for the parity check (reportgen/verification/parity.py).

Run with a separate venv that has torch and pytorch-optimizer (never reportgen dependencies):

    python3 -m venv /work/refenv && /work/refenv/bin/pip install numpy torch==2.13.0 pytorch-optimizer==4.1.0
    /work/refenv/bin/python tools/make_pytorch_optimizer_vectors.py reportgen/verification/vectors/pytorch-optimizer.npz

The same float64 problem and recording as tools/make_torch_vectors.py, for Lion
with the package's defaults and with every setting changed. pytorch-optimizer
rather than optax: it is torch, so the loss, its gradients and the float64
arithmetic are those of the torch vectors, with no second implementation of
the problem in JAX.
"""

from __future__ import annotations

import sys
from importlib.metadata import version

import pytorch_optimizer

from make_torch_vectors import write

# method -> (the package's optimizer, fixed arguments, [(setting, hyperparameters: the package's names are reportgen's)])
CASES = {
    "lion": (pytorch_optimizer.Lion, {}, [("default", {}), ("custom", {"lr": 0.003, "betas": [0.95, 0.98], "weight_decay": 0.1})]),
}


def main(path: str) -> None:
    write(path, "pytorch-optimizer", version("pytorch-optimizer"), "tools/make_pytorch_optimizer_vectors.py", CASES, first_seed=2000)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reportgen/verification/vectors/pytorch-optimizer.npz")
