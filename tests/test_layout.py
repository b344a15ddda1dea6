"""The package layout follows the path of the data: each stage imports only from the stages before it.

data -> model -> optimizers -> problems -> training -> verification -> analysis -> sweep
-> ablation -> report -> site. The shared helpers (errors, atomic writes, number
formatting, progress) serve every stage; the command line, the config and the
bench sit on top and import from all. Imports under ``if TYPE_CHECKING:`` are for annotations only
and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reportgen

PACKAGE = Path(reportgen.__file__).resolve().parent
STAGES = ("data", "model", "optimizers", "problems", "training", "verification", "analysis", "sweep", "ablation", "report", "site")
SHARED = ("errors", "atomic", "formatting", "progress")
MOST_LINES = 330  # "no module over about 300 lines"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _runtime_imports(path: Path) -> set[str]:
    """The reportgen modules ``path`` imports when it runs (annotation-only imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: anchored at the module's own package
                package = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                module = ".".join([*package, *([module] if module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("reportgen.")}


def _stage(name: str) -> str:
    return name.split(".")[1]


@pytest.mark.parametrize("path", [p for p in _modules() if p.relative_to(PACKAGE).parts[0] in STAGES], ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_a_stage_imports_nothing_from_a_later_stage(path):
    own = STAGES.index(path.relative_to(PACKAGE).parts[0])
    for name in _runtime_imports(path):
        stage = _stage(name)
        if stage in SHARED:
            continue
        assert stage in STAGES, f"{name}: a stage imports the command line, config or bench"
        assert STAGES.index(stage) <= own, f"{name} is a later stage than {STAGES[own]}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_is_long(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MOST_LINES


def test_every_stage_is_a_package_and_nothing_else_sits_at_the_top():
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)
    top = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert top == sorted(["__init__", "__main__", "atomic", "cli", "config", "errors", "formatting", "outputs", "pipeline", "progress"])
    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    assert packages == sorted([*STAGES, "bench", "presets"])  # bench: on top, like the command line


def test_every_package_is_installed():
    """pyproject.toml lists packages by hand: a new stage left out would be missing from an installed copy."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(PACKAGE.parent).parts) for path in PACKAGE.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


def test_the_citation_file_names_this_version():
    """CITATION.cff at the top cites the software; its version must follow the package's."""
    text = (PACKAGE.parent / "CITATION.cff").read_text(encoding="utf-8")
    assert f'\nversion: "{reportgen.__version__}"\n' in text and text.startswith("cff-version: 1.2.0\n")
