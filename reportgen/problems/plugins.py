"""Problems from outside reportgen: ``[problem] plugin = "path/to/file.py:factory"`` (the path relative to the
TOML file), or the factory an installed package offers as an entry point in the group ``reportgen.problems``
under the ``[problem] name``.

The file is found, hashed and imported as a method's plugin is (``reportgen.optimizers.plugin_files``): its
SHA-256 goes into the results' cache key, so an edited plugin retrains, and a worker process imports it again
from the ``Source`` its run carries (``RunSpec.problem_plugin``), refusing a file changed since the
experiment was read.

The factory takes the ``[problem] options`` as keyword arguments and returns a problem that follows the
built-ins' convention (``reportgen.problems.base`` says how a trainer calls it). Subclassing
``reportgen.problems.Synthetic`` gives all of it to a function with a known minimiser
(``examples/three_hump_camel.py``)::

    title                           text the report names it by
    metrics                         the names ``evaluate`` returns (not one the engine records: ENGINE_METRICS)
    target                          the metric the suite's scores time and tuning minimises: one of ``metrics``
    target_floor                    the least target, a number >= 0
    optimum                         the minimiser as arrays shaped as the parameters, or None
    steps_per_epoch                 how many batches ``batches`` yields, whatever the batch size
    initial_params(seed)            a list of float arrays, the same for the same seed
    batches(data, batch_size, rng)  an epoch's batches, each whatever ``loss_and_grads`` reads, anything random
                                    drawn from ``rng`` (the run's seed decides it); ``data`` is for the built-in
                                    digit problems: a plugin reads its own
    loss_and_grads(params, batch)   (loss, a list of gradients shaped as ``params``), fresh arrays; ``params``
                                    untouched
    evaluate(params, data)          {metric: value} for each of ``metrics``

A problem of two parameters in all that also gives ``start``, ``minimiser`` and ``value`` (``base.SURFACE``,
as ``Synthetic`` does) has its paths drawn on its contour map, over its ``view`` ((x0, x1), (y0, y1)) if it
has one; ``value`` then takes a (2, ...) array, the grid's x and y.

Every run calls the factory for a problem of its own, so nothing carries over from one run to the next; a
plugin that reads data keeps what it read at module level. Making a problem checks all of this once per
process and options, on seed 0's parameters and the first batch: each fault is a one-line ``PluginError``
naming the file and the factory. Whether the gradient is the loss's is the finite-difference check of
``reportgen.verification.problem_gradients``.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import math
import reprlib
from dataclasses import asdict
from numbers import Real
from pathlib import Path
from typing import Any, Callable

import numpy as np

from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers.plugin_files import PluginError, Source, entry_point_source, file_module, file_source, first_line
from reportgen.problems.base import PATH_DIMENSIONS, SURFACE

ENTRY_POINT_GROUP = "reportgen.problems"
ENGINE_METRICS = ("train_cost_logged", "epoch_seconds", "path")  # what reportgen.training.problem_engine records beside them
ATTRIBUTES = ("title", "metrics", "target", "target_floor", "optimum", "steps_per_epoch")
CALLS = ("initial_params", "batches", "loss_and_grads", "evaluate")
SMOKE_SEED = 0

_FACTORIES: dict[str, Callable] = {}  # Source.key -> the factory, once per process
_CHECKED: set[tuple[str, str]] = set()  # (Source.key, options) whose problem passed the checks in this process


def from_reference(reference: Any, base_dir: Path | None) -> dict:
    """The ``Source`` (as a dict a run carries) of ``path/to/file.py:factory``, the path relative to ``base_dir``; loaded."""
    with _named_a_problem():
        source = file_source(reference, base_dir, "factory")
    _factory(source)
    return asdict(source)


def from_entry_point(name: str) -> dict | None:
    """The ``Source`` of the factory an installed package offers under ``name`` in the group ``reportgen.problems``, if any."""
    with _named_a_problem():
        found = entry_point_source(ENTRY_POINT_GROUP, name)
    if found is None:
        return None
    _factory(*found)
    return asdict(found[0])


def create(plugin: dict, options: dict):
    """The problem the factory of ``plugin`` (a ``Source`` as a dict) makes of ``options``, checked."""
    source = Source(**plugin)
    where = f"problem {source.origin}"
    factory = _factory(source)
    _check_options(factory, options, where)
    try:
        problem = factory(**options)
    except ConfigError as error:  # the factory checked an option, as the built-ins do
        raise PluginError(f"{where}: {error}") from None
    except Exception as error:  # the plugin's own code: any exception is its fault, reported in one line
        raise PluginError(f"{where}: calling it with options {options} failed: {first_line(error)}") from None
    checked = (source.key, repr(sorted(options.items())))
    if checked not in _CHECKED:
        check(problem, where)
        _CHECKED.add(checked)
    return problem


@contextlib.contextmanager
def _named_a_problem():
    """A fault of the file itself, said as a problem's (the same messages name a method's)."""
    try:
        yield
    except PluginError as error:
        raise PluginError(f"problem {error}") from None


def _factory(source: Source, module=None) -> Callable:
    if source.key not in _FACTORIES:
        if module is None:
            with _named_a_problem():
                module = file_module(source)
        factory = getattr(module, source.builder, None)
        if factory is None:
            defined = [name for name, value in vars(module).items() if callable(value) and getattr(value, "__module__", "") == module.__name__]
            hint = did_you_mean(source.builder, defined) or (f" (it defines: {', '.join(defined)})" if defined else "")
            raise PluginError(f"problem {source.origin}: the file defines no {source.builder!r}{hint}")
        if not callable(factory):
            raise PluginError(f"problem {source.origin}: {source.builder} = {reprlib.repr(factory)} is not a function that makes a problem")
        _FACTORIES[source.key] = factory
    return _FACTORIES[source.key]


def _check_options(factory: Callable, options: dict, where: str) -> None:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): the call says what it takes
        return
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return
    known = [parameter.name for parameter in parameters if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)]
    for option in options:
        if option not in known:
            raise PluginError(f"{where}: unknown option {option!r}{did_you_mean(option, known)} (options: {', '.join(known) or 'none'})")


def check(problem, where: str) -> None:
    """The problem convention, each fault one line; the plugin's code raising is its fault, said with what raised."""
    missing = [name for name in (*ATTRIBUTES, *CALLS) if not _call(where, f"reading its {name}", hasattr, problem, name)]
    if len(missing) == len(ATTRIBUTES) + len(CALLS):
        raise PluginError(f"{where}: it must return a problem ({', '.join((*ATTRIBUTES, *CALLS))}: reportgen.problems.plugins), got a {type(problem).__name__}")
    if missing:
        raise PluginError(f"{where}: the problem it returns has no {', '.join(missing)}")
    found = {name: _call(where, f"reading its {name}", getattr, problem, name) for name in (*ATTRIBUTES, *CALLS)}
    if not_callable := [name for name in CALLS if not callable(found[name])]:
        raise PluginError(f"{where}: its {', '.join(not_callable)} must be methods")
    _check_declared(found, where)
    params = _initial_params(problem, where)
    if found["optimum"] is not None and _shapes(found["optimum"]) != _shapes(params):
        raise PluginError(f"{where}: its optimum must be None or arrays shaped as the parameters {_shapes(params)}, got {_kind(found['optimum'])}")
    _check_step(problem, params, found["steps_per_epoch"], where)
    if sum(p.size for p in params) == PATH_DIMENSIONS and all(hasattr(problem, part) for part in SURFACE):
        _check_surface(problem, where)
    _check_evaluation(_call(where, "evaluate", problem.evaluate, params, None), found["metrics"], where)


def _initial_params(problem, where: str) -> list[np.ndarray]:
    """Seed 0's parameters: a list of finite float arrays, the same when asked twice."""
    params = _call(where, f"initial_params({SMOKE_SEED})", problem.initial_params, SMOKE_SEED)
    if _shapes(params) is None or not isinstance(params, list) or not params or not all(np.issubdtype(p.dtype, np.floating) and p.size for p in params):
        raise PluginError(f"{where}: initial_params({SMOKE_SEED}) must return a list of float arrays, got {_kind(params)}")
    if not all(np.isfinite(p).all() for p in params):
        raise PluginError(f"{where}: initial_params({SMOKE_SEED}) has NaN or infinity")
    again = _call(where, f"initial_params({SMOKE_SEED})", problem.initial_params, SMOKE_SEED)
    if _shapes(again) != _shapes(params) or not all(np.array_equal(first, second) for first, second in zip(params, again)):
        raise PluginError(f"{where}: initial_params({SMOKE_SEED}) gave other parameters the second time; draw them from the seed")
    return params


def _check_step(problem, params: list[np.ndarray], steps: int, where: str) -> None:
    """An epoch of ``steps`` batches, and a loss and gradients on the first that an optimizer can take."""
    batches = _epoch(problem, steps, where)
    if len(batches) != steps:
        raise PluginError(f"{where}: an epoch of batches had {len(batches)}{' or more' if len(batches) > steps else ''}; its steps_per_epoch is {steps}")
    given = [p.copy() for p in params]
    result = _call(where, "loss_and_grads", problem.loss_and_grads, params, batches[0])
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise PluginError(f"{where}: loss_and_grads must return (loss, gradients), got {_kind(result)}")
    loss, grads = result
    if not _finite_number(loss):
        raise PluginError(f"{where}: loss_and_grads gave the loss {loss!r} at the initial parameters; expected a finite number")
    if _shapes(grads) != _shapes(params):
        raise PluginError(f"{where}: loss_and_grads gave gradients as {_kind(grads)}; the parameters are {_shapes(params)}")
    if not all(np.array_equal(before, after) for before, after in zip(given, params)):
        raise PluginError(f"{where}: loss_and_grads changed the parameters it was given")
    if any(np.shares_memory(grad, p) for grad, p in zip(grads, params)) or not all(np.isfinite(grad).all() for grad in grads):
        raise PluginError(f"{where}: loss_and_grads must return finite gradients in fresh arrays (an optimizer updates them in place)")
    if not _call(where, "loss_and_grads", problem.loss_and_grads, params, _epoch(problem, steps, where)[0])[0] == loss:
        raise PluginError(f"{where}: the same seed's first batch gave another loss the second time; draw anything random from the rng batches is given")


def _check_surface(problem, where: str) -> None:
    """What the contour map reads: a start and a minimiser of two coordinates, and f on a grid, finite at both."""
    start, minimiser = (_call(where, f"reading its {name}", getattr, problem, name) for name in ("start", "minimiser"))
    if _shapes([start, minimiser]) != [(PATH_DIMENSIONS,)] * 2:
        raise PluginError(f"{where}: its start and minimiser must be arrays of its {PATH_DIMENSIONS} coordinates, got {_kind([start, minimiser])}")
    grid = np.array(np.meshgrid([start[0], minimiser[0]], [start[1], minimiser[1]]))
    values = _call(where, "value on a grid", problem.value, grid)
    if np.shape(values) != grid.shape[1:] or not np.isfinite(values).all():
        raise PluginError(f"{where}: value must take a grid's x and y as one (2, ...) array and give f at each point, got {_kind(values)}")


def _epoch(problem, steps: int, where: str) -> list:
    """An epoch's batches (one more, if it yields more) from a generator seeded as the smoke test's."""
    rng = np.random.Generator(np.random.PCG64(SMOKE_SEED))
    return _call(where, "batches(None, 1, rng)", lambda: list(itertools.islice(problem.batches(None, 1, rng), steps + 1)))


def _check_declared(found: dict, where: str) -> None:
    if not isinstance(found["title"], str) or not found["title"].strip():
        raise PluginError(f"{where}: its title must be text, got {found['title']!r}")
    metrics = found["metrics"]
    if not isinstance(metrics, (tuple, list)) or not metrics or not all(isinstance(name, str) and name for name in metrics) or len(set(metrics)) < len(metrics):
        raise PluginError(f"{where}: its metrics must be distinct names, got {metrics!r}")
    if taken := [name for name in metrics if name in ENGINE_METRICS]:
        raise PluginError(f"{where}: the engine records {', '.join(taken)} itself; name the problem's metric otherwise")
    if found["target"] not in metrics:
        raise PluginError(f"{where}: its target {found['target']!r} is not one of its metrics ({', '.join(metrics)})")
    if not _finite_number(found["target_floor"]) or found["target_floor"] < 0:
        raise PluginError(f"{where}: its target_floor must be a number >= 0, got {found['target_floor']!r}")
    steps = found["steps_per_epoch"]
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise PluginError(f"{where}: its steps_per_epoch must be a whole number >= 1, got {steps!r}")


def _check_evaluation(evaluated, metrics, where: str) -> None:
    if not isinstance(evaluated, dict) or set(evaluated) != set(metrics):
        names = ", ".join(map(str, evaluated)) if isinstance(evaluated, dict) else f"a {type(evaluated).__name__}"
        raise PluginError(f"{where}: evaluate must return a value for each of its metrics ({', '.join(metrics)}), got {names}")
    if bad := [name for name, value in evaluated.items() if not _finite_number(value)]:
        raise PluginError(f"{where}: evaluate gave {', '.join(bad)} as no finite number at the initial parameters")


def _call(where: str, what: str, function: Callable, *args):
    try:
        return function(*args)
    except Exception as error:  # the plugin's own code
        raise PluginError(f"{where}: {what} raised {first_line(error)}") from None


def _finite_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)  # NumPy's scalars are Real


def _shapes(arrays) -> list | None:
    """Each entry's shape, or None when it is no list of arrays."""
    if not isinstance(arrays, (list, tuple)) or not all(isinstance(a, np.ndarray) for a in arrays):
        return None
    return [a.shape for a in arrays]


def _kind(value) -> str:
    """What a value is, in a few words for a message."""
    if _shapes(value) is None:
        return f"a {type(value).__name__}"
    return f"a {type(value).__name__} of arrays [{', '.join(f'{a.dtype} {a.shape}' for a in value)}]"
