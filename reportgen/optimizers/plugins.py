"""Methods from outside reportgen: a plugin file (``file.py:builder``) or an installed package's
entry point in the group ``reportgen.optimizers``.

A plugin's builder follows the built-ins' contract: its parameters with
defaults are its hyperparameters, and it returns a ``Rule``, typically a
``chain`` of the public parts in ``reportgen.optimizers.parts``. The
:func:`declare` decorator gives what the report shows beside it: title,
update equation, references and, optionally, a derivation in Markdown.

Plugin code is the user's own code: loading it runs it, as ``import`` would.
Finding and importing the file (or entry point), and its SHA-256 in the
results' cache key and the report's reproducibility stamp, so that an edited
plugin retrains, are ``plugin_files``'s, shared with the problems' plugins.

A loaded plugin is known under a key ``plugin:<sha256 prefix>:<builder>``
that ``reportgen.optimizers.create`` accepts like a built-in's name. Worker
processes load it again from the :class:`Source` the run carries.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers import registry
from reportgen.optimizers.base import GRADIENT_KINDS, Rule
from reportgen.optimizers.plugin_files import KEY_PREFIX, PluginError, Source, entry_point_source, file_module, file_source, first_line

ENTRY_POINT_GROUP = "reportgen.optimizers"
ATTRIBUTE = "__reportgen_method__"


@dataclass(frozen=True)
class Citation:
    """A work a plugin cites that reportgen's bibliography does not have (built-in keys such as "kingma2014" work too)."""

    label: str  # short in-text form, "Xie et al. 2022"
    citation: str  # the full reference
    url: str = ""


@dataclass(frozen=True)
class Declaration:
    title: str
    equation: tuple[str, ...]  # LaTeX lines, as the built-ins' ``equation=``
    references: tuple[str | Citation, ...]
    derivation: str  # Markdown with $...$ maths, or ""
    vectors: str  # reference trajectories in reportgen.verification.parity's format, relative to the plugin file, or ""


def declare(*, title: str = "", equation=(), references=(), derivation: str = "", vectors: str = "") -> Callable:
    """Mark a builder as a reportgen method. ``equation`` is one LaTeX line or a tuple of lines. Title and equation are
    required: left out, loading the plugin says so in one line (a TypeError here would read as an import failure)."""

    def attach(builder):
        lines = (equation,) if isinstance(equation, str) else tuple(equation)
        setattr(builder, ATTRIBUTE, Declaration(title, lines, tuple(references), derivation, vectors))
        return builder

    return attach


@dataclass(frozen=True)
class Plugin:
    source: Source
    builder: Callable
    declaration: Declaration


_LOADED: dict[str, Plugin] = {}


def is_plugin(name: str) -> bool:
    return name.startswith(KEY_PREFIX)


def get(key: str) -> Plugin:
    if key not in _LOADED:
        raise ConfigError(f"{key}: this plugin is not loaded in this process")
    return _LOADED[key]


def from_reference(reference: str, base_dir: Path | None) -> Plugin:
    """``path/to/file.py:builder``, the path relative to ``base_dir`` (the TOML file's folder)."""
    return load(file_source(reference, base_dir, "builder"))


def from_entry_point(name: str) -> Plugin | None:
    """The method an installed package offers under ``name`` in the group ``reportgen.optimizers``, if any."""
    found = entry_point_source(ENTRY_POINT_GROUP, name)
    return None if found is None else load(*found)


def load(source: Source, module=None) -> Plugin:
    """Import the plugin (once per process), check its declaration and builder, and make one smoke step."""
    if source.key in _LOADED:  # the same code, perhaps from another file: the caller's file is the one to name
        return replace(_LOADED[source.key], source=source)
    where = source.origin
    if module is None:
        module = file_module(source)
    builder = getattr(module, source.builder, None)
    if builder is None:
        declared = [name for name, value in vars(module).items() if callable(value) and hasattr(value, ATTRIBUTE)]
        hint = did_you_mean(source.builder, declared) or (f" (it declares: {', '.join(declared)})" if declared else "")
        raise PluginError(f"{where}: the file defines no {source.builder!r}{hint}")
    declaration = getattr(builder, ATTRIBUTE, None)
    if not callable(builder) or not isinstance(declaration, Declaration):
        raise PluginError(f"{where}: {source.builder!r} is not declared: decorate it with @reportgen.optimizers.declare(title=..., equation=...)")
    _check_declaration(declaration, where)
    _check_signature(builder, where)
    plugin = _LOADED[source.key] = Plugin(source, builder, declaration)
    try:
        _smoke_step(plugin)
    except PluginError:
        del _LOADED[source.key]
        raise
    return plugin


def source_dict(source: Source) -> dict:
    return asdict(source)


def _check_declaration(declaration: Declaration, where: str) -> None:
    if not isinstance(declaration.title, str) or not declaration.title.strip():
        raise PluginError(f"{where}: the declaration has no title")
    if not declaration.equation or not all(isinstance(line, str) and line.strip() for line in declaration.equation):
        raise PluginError(f"{where}: the declaration has no update equation (equation=\"w \\\\leftarrow ...\" in LaTeX)")
    for reference in declaration.references:
        if not isinstance(reference, Citation) and reference not in registry.REFERENCE_KEYS:
            raise PluginError(f"{where}: a reference must be Citation(label, citation, url) or one of reportgen's keys ({', '.join(registry.REFERENCE_KEYS)}), got {reference!r}")
    if not isinstance(declaration.derivation, str) or not isinstance(declaration.vectors, str):
        raise PluginError(f"{where}: derivation and vectors must be text")


def _check_signature(builder: Callable, where: str) -> None:
    for parameter in inspect.signature(builder).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.KEYWORD_ONLY):
            raise PluginError(f"{where}: wrong signature: {parameter}: every hyperparameter is a plain parameter with a default")
        if parameter.default is parameter.empty:
            raise PluginError(f"{where}: wrong signature: hyperparameter {parameter.name!r} needs a default")
    try:
        registry.resolve(where, builder, {})  # each default must pass the check its value will get
    except ConfigError as error:
        raise PluginError(f"wrong signature: {error}") from None


def _smoke_step(plugin: Plugin) -> None:
    """Two steps with the default hyperparameters on a small quadratic: what a build would hit first, said in one line."""
    where = plugin.source.origin
    try:
        rule = plugin.builder()
    except Exception as error:  # the plugin's own code
        raise PluginError(f"{where}: calling it with its defaults failed: {first_line(error)}") from None
    if not isinstance(rule, Rule) or rule.gradient not in GRADIENT_KINDS:
        raise PluginError(f"{where}: it must return reportgen.optimizers.Rule(transform, gradient in {GRADIENT_KINDS}), got a {type(rule).__name__}")
    from reportgen.optimizers import create  # the package imports this module

    params = [np.linspace(-1.0, 1.0, 12).reshape(4, 3), np.linspace(0.5, -0.5, 6).reshape(3, 2)]
    try:
        optimizer = create(plugin.source.key)
        state = optimizer.init(params, np.random.Generator(np.random.PCG64(0)))
        for step in (1, 2):
            at = optimizer.lookahead(params, state)
            grads = None if optimizer.gradient == "none" else [2.0 * point for point in at]
            params, state = optimizer.update(params, grads, state)
            if not all(np.isfinite(p).all() for p in params):
                raise PluginError(f"{where}: step {step} with the default hyperparameters gave NaN or infinity")
    except PluginError:
        raise
    except Exception as error:  # the plugin's own code
        raise PluginError(f"{where}: a step with its defaults failed: {first_line(error)}") from None
