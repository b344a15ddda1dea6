"""Drawn figures kept between renders, so a build from stored results skips matplotlib.

Drawing every figure in three formats is most of a render's time. The cache
key hashes everything a figure depends on: the result arrays themselves (a
``--force`` retrain with new timings changes them), the experiments' names,
descriptions, configs and timings (the machine the wall-clock figure names), their analysis and the sweep analysis, the source
of the reportgen package and the numpy and matplotlib versions. Any
difference redraws; a damaged cache file is redrawn too. Only the latest
entry is kept.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np

import reportgen
from reportgen import atomic
from reportgen.report.drawing import Figure
from reportgen.training.results import ResultSet

PREFIX = "figures-"


def figures_key(result_sets: list[ResultSet], analyses, sweeps) -> str:
    digest = hashlib.sha256()
    # What the figures show beyond the arrays: names, descriptions, the config (a target line) and the analysis (markers, captions).
    with np.printoptions(threshold=sys.maxsize):
        digest.update(repr(analyses).encode())
    for result_set in result_sets:
        digest.update(json.dumps([result_set.experiment, result_set.description, result_set.config, result_set.timings], sort_keys=True).encode())
    for name, version in (("numpy", np.__version__), ("matplotlib", matplotlib.__version__)):
        digest.update(f"{name}={version}\n".encode())
    for path in sorted(Path(reportgen.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    for result_set in result_sets:
        digest.update(result_set.key.encode())
        for name in sorted(result_set.arrays):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(result_set.arrays[name]).tobytes())
        digest.update(result_set.diverged_epoch.tobytes())
        digest.update(result_set.samples.tobytes())
    digest.update(repr(sweeps).encode())
    return digest.hexdigest()


def drawn(directory: Path, result_sets: list[ResultSet], analyses, sweeps, draw: Callable[[], list[Figure]]) -> list[Figure]:
    """The figures for these inputs: from ``directory`` if drawn before, else drawn and stored."""
    path = Path(directory) / f"{PREFIX}{figures_key(result_sets, analyses, sweeps)[:32]}.pickle"
    try:
        with open(path, "rb") as stream:
            figures = pickle.load(stream)  # our own file, written below
        if isinstance(figures, list) and all(isinstance(figure, Figure) for figure in figures):
            return figures
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    figures = draw()
    atomic.write_bytes(path, pickle.dumps(figures, protocol=pickle.HIGHEST_PROTOCOL))
    for stale in Path(directory).glob(f"{PREFIX}*.pickle"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return figures
