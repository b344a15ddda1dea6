"""The public parts a method is chained from: what the built-ins use, documented for plugins.

A part is a ``Transform(init, update)``: ``init(params, rng) -> state`` and
``update(updates, state, params) -> (updates, state)``, working IN PLACE on
``updates`` (a list of arrays shaped like ``params``). ``chain(*parts)`` runs
them in order; its output is the step subtracted from the weights,
w <- w - u. A builder returns ``Rule(chain(...))``. See
``reportgen.optimizers.textbook`` for the built-ins written this way, and
examples/ in the repository for a plugin.

* ``scale(factor)``: u <- factor u (the learning rate, usually last).
* ``trace(decay, nesterov=False)``: momentum, v <- decay v + u, u <- v
  (or u + decay v).
* ``scale_by_root_of_squares(decay, weight, eps, eps_inside_sqrt, initial=0.0)``:
  s <- decay s + weight u^2, u <- u / (sqrt(s) + eps) (Adagrad, RMSprop).
* ``scale_by_adadelta(rho, eps)``: Zeiler's ratio of running averages.
* ``scale_by_adam(beta1, beta2, eps, correction)``: u <- m_hat / (sqrt(v_hat) + eps),
  with ``correction = step_bias_correction(beta1, beta2)`` for Kingma & Ba's.
* ``scale_by_nadam(beta1, beta2, eps, momentum_decay)``: torch.optim.NAdam's step.
* ``gumbel_noise()``: replace u by standard Gumbel samples (noise training).
* ``add_gaussian_noise(eta, gamma)``: u <- u + N(0, eta / (1 + t)^gamma).
"""

from reportgen.optimizers.noise import add_gaussian_noise, gumbel_noise
from reportgen.optimizers.transforms import (
    scale,
    scale_by_adadelta,
    scale_by_adam,
    scale_by_nadam,
    scale_by_root_of_squares,
    step_bias_correction,
    trace,
)

__all__ = [
    "add_gaussian_noise", "gumbel_noise", "scale", "scale_by_adadelta", "scale_by_adam", "scale_by_nadam",
    "scale_by_root_of_squares", "step_bias_correction", "trace",
]
