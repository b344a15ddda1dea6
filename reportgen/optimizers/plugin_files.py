"""Code from outside reportgen, as methods (``optimizers.plugins``) and problems (``problems.plugins``) load it:
a Python file named ``path/to/file.py:NAME`` (the path relative to the TOML file) or an installed package's
entry point.

Plugin code is the user's own code: loading it runs it, with the user's rights, as ``import`` would. A
:class:`Source` names the code by its file's SHA-256, which goes into the results' cache key, so an edited
plugin retrains; a worker process imports the file again from the ``Source`` a run carries and refuses it
if it changed since the experiment was read. Every fault is a :class:`PluginError` of one line naming the
file (or entry point) and what is wrong.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from reportgen.errors import ConfigError

KEY_PREFIX = "plugin:"


class PluginError(ConfigError):
    """A plugin that cannot be used: one line naming the file (or entry point) and what is wrong; exit code 2."""


@dataclass(frozen=True)
class Source:
    """Where a plugin comes from, as plain data a run carries to another process."""

    file: str  # absolute path of the Python file
    builder: str  # the function the file offers: a method's builder, a problem's factory
    sha256: str
    entry_point: str = ""  # the entry point's name when it came from one

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.sha256[:16]}:{self.builder}"

    @property
    def origin(self) -> str:
        """How the user named it, for messages."""
        return f"entry point {self.entry_point!r} ({self.file})" if self.entry_point else f"{self.file}:{self.builder}"


_FILE_MODULES: dict[str, str] = {}  # the unique module name a plugin file is imported under -> the file's stem


def file_source(reference, base_dir: Path | None, function: str) -> Source:
    """``path/to/file.py:NAME``, the path relative to ``base_dir`` (the TOML file's folder); ``function`` says
    what NAME is in the one-line error for a malformed reference ("builder", "factory")."""
    if not isinstance(reference, str) or reference.count(":") != 1 or not all(reference.split(":")):
        raise PluginError(f"plugin {reference!r}: expected \"path/to/file.py:{function}\"")
    path_text, name = reference.split(":")
    path = Path(path_text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return Source(str(path.resolve()), name, _sha256(path, reference))


def entry_point_source(group: str, name: str) -> tuple[Source, ModuleType] | None:
    """The function an installed package offers under ``name`` in ``group``, if any: its Source and the module imported."""
    found = [point for point in importlib.metadata.entry_points(group=group) if point.name == name]
    if not found:
        return None
    point = found[0]
    if not point.attr:
        raise PluginError(f"entry point {name!r} ({point.value}): names a module, not a function; expected module:function")
    try:
        module = importlib.import_module(point.module)
    except Exception as error:  # the plugin's own code: any exception is its fault, reported in one line
        raise PluginError(f"entry point {name!r} ({point.value}): import failed: {first_line(error)}") from None
    function = getattr(module, point.attr, None)
    # The file that defines the function, which a package's __init__ may only re-export: its code is what runs.
    path = Path(inspect.getfile(function if inspect.isfunction(function) else module))
    return Source(str(path), point.attr, _sha256(path, f"entry point {name!r}"), entry_point=name), module


def file_module(source: Source) -> ModuleType:
    """The module of ``source``'s file, imported afresh once its SHA-256 is checked against the Source's."""
    where = source.origin
    actual = _sha256(Path(source.file), where)
    if actual != source.sha256:
        raise PluginError(f"{where}: the file changed since the experiment was read (SHA-256 {actual[:16]}, expected {source.sha256[:16]})")
    return _import(Path(source.file), source.key, where)


def module_title(module: str) -> str:
    """A module's name as the report shows it: a plugin file by its own name (``cautious_adam``), not the unique one it is imported under."""
    return _FILE_MODULES.get(module, module)


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _sha256(path: Path, where: str) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise PluginError(f"plugin {where}: no such file {path.resolve()}") from None
    except OSError as error:
        raise PluginError(f"plugin {where}: cannot read {path}: {error.strerror}") from None


def _import(path: Path, key: str, where: str) -> ModuleType:
    name = "reportgen_plugin_" + key.split(":")[1]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{where}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # inspect.getsource finds the code the report shows through it
    _FILE_MODULES[name] = path.stem
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the plugin's own code: any exception is its fault, reported in one line
        del sys.modules[name]
        raise PluginError(f"{where}: import failed: {first_line(error)}") from None
    return module
