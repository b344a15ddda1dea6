"""What is trained, beside the 2018 network: problems with hand-written gradients, a second axis to the methods.

A problem is a frozen dataclass of its options with ``title``, ``metrics`` (the names ``evaluate``
returns), ``optimum`` (the minimiser as a parameter list, or None), ``initial_params(seed)``,
``batches(data, batch_size, rng)``, ``loss_and_grads(params, batch)`` (pure: fresh arrays) and
``evaluate(params, data)``; ``base`` says how a trainer calls them. Built in (``PROBLEMS``): the digit
models (``digits``), two 2-D surfaces (``surfaces``) and the noisy quadratic model (``quadratic``).
``reportgen.verification.problem_gradients`` checks every gradient against finite differences. A problem from
outside reportgen is a plugin's (``plugins``): a factory in a Python file, or an installed package's entry point.

Options are checked as the methods' hyperparameters are (``reportgen.optimizers.values``, hence this stage
after ``optimizers``, whose plugin loading a problem plugin shares), each error one line naming the problem
and the option.
"""

from __future__ import annotations

import dataclasses

from reportgen.errors import ConfigError, did_you_mean
from reportgen.problems import plugins
from reportgen.problems.base import Batch, Synthetic
from reportgen.problems.digits import DigitsNetwork, DigitsSoftmax
from reportgen.problems.quadratic import NoisyQuadratic
from reportgen.problems.surfaces import Beale, Rosenbrock

__all__ = ["Batch", "DigitsNetwork", "NETWORK_PROBLEM", "PROBLEMS", "Synthetic", "create"]

NETWORK_PROBLEM = "mnist01-mlp"  # the 2018 network on MNIST zeros and ones (reportgen.model), the default

PROBLEMS = {
    "digits-softmax": DigitsSoftmax,
    "digits-mlp": DigitsNetwork,
    "rosenbrock": Rosenbrock,
    "beale": Beale,
    "noisy-quadratic": NoisyQuadratic,
}


def create(name: str, plugin: dict | None = None, /, **options):
    """The problem ``name`` with ``options`` (the rest its defaults), made by ``plugin``'s factory when it is a
    plugin's (``plugins.Source`` as a dict); a ConfigError of one line for a bad name or option."""
    if plugin is not None:
        return plugins.create(plugin, options)
    if name not in PROBLEMS:
        raise ConfigError(
            f"unknown problem {name!r}{did_you_mean(name, PROBLEMS)} (built in: {', '.join(PROBLEMS)}; your own: plugin = \"path/to/file.py:factory\")"
        )
    factory = PROBLEMS[name]
    known = [field.name for field in dataclasses.fields(factory)]
    for option in options:
        if option not in known:
            raise ConfigError(f"problem {name}: unknown option {option!r}{did_you_mean(option, known)} (options: {', '.join(known)})")
    try:
        return factory(**options)
    except ConfigError as error:
        raise ConfigError(f"problem {name}: {error}") from None


def from_table(problem: dict):
    """The problem of a checked ``[problem]`` table (``table.problem_table``): its name, options and plugin if any."""
    return create(problem["name"], problem.get("plugin"), **problem["options"])
