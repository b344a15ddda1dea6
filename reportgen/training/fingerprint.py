"""The results' cache key: everything that can change a number, and nothing else.

A stored result set is reused only when its key matches. The key hashes

* the part of the config that determines the numbers (``Experiment.numeric_config``:
  data, network, training, methods; not ``[report]``, which only changes the text);
* the fingerprint of the selected images and labels;
* the source of every module a training run executes: the static import
  closure of ``reportgen.training.trainer``, ``reportgen.training.controls``
  (which control runs a config asks for) and ``reportgen.data``, found by
  reading the import statements (imports inside functions included), so a
  module added to that path is covered without a list to keep up to date;
* NumPy's version, whose SIMD ``exp``/``log`` may change the last bits.

The runner, the store, the executors, the analysis and the report are
outside the closure: editing them re-renders from the store, never retrains.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path

import numpy as np

import reportgen

KEY_FORMAT = 3
ROOTS = ("reportgen.training.trainer", "reportgen.training.controls", "reportgen.data")
PACKAGE_ROOT = Path(reportgen.__file__).resolve().parent


def _module_file(name: str) -> Path | None:
    """The file of module ``reportgen.x.y``, or None if the name is not a module (an attribute)."""
    parts = name.split(".")[1:]
    if not parts:
        return PACKAGE_ROOT / "__init__.py"
    base = PACKAGE_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(path: Path, module: str) -> set[str]:
    """Every ``reportgen`` name the file imports, absolute; ``from a import b`` gives a and a.b."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "reportgen" or name.startswith("reportgen.")}


@functools.lru_cache(maxsize=1)  # parsing every module's imports costs ~0.1 s; the sources do not change under a running build
def numeric_modules() -> tuple[Path, ...]:
    """The source files a training run executes, sorted: the import closure of ROOTS with their parent packages."""
    seen: dict[str, Path] = {}
    pending = list(ROOTS)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        parents = [".".join(name.split(".")[:index]) for index in range(1, name.count(".") + 1)]
        pending.extend(parents)
        pending.extend(_imported_names(path, name))
    return tuple(sorted(set(seen.values())))


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in numeric_modules():
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def results_key(numeric_config: dict, data_fingerprint: str) -> str:
    canonical = json.dumps(numeric_config, sort_keys=True, separators=(",", ":"))
    parts = (
        f"format={KEY_FORMAT}",
        f"config={hashlib.sha256(canonical.encode()).hexdigest()}",
        f"data={data_fingerprint}",
        f"code={code_fingerprint()}",
        f"numpy={np.__version__}",
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
