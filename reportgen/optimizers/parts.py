"""The public parts a method is chained from: what the built-ins use, documented for plugins.

A part is a ``Transform(init, update)``: ``init(params, rng) -> state`` and
``update(updates, state, params) -> (updates, state)``, working IN PLACE on
``updates`` (a list of arrays shaped like ``params``; at the start of the
chain, the gradient). ``chain(*parts)`` runs them in order; its output is the
step subtracted from the weights, w <- w - u. A builder returns
``Rule(chain(...))``. ``reportgen.optimizers.textbook`` and its siblings
show the built-ins written this way; examples/cautious_adam.py in the
repository is a plugin.

Scaling and decay
* ``scale(factor)``: u <- factor u (the learning rate, usually last).
* ``add_decayed_weights(weight_decay)``: u <- u + weight_decay w. First in the
  chain it is L2 decay (torch's ``weight_decay``); after an adaptive scaling and
  before ``scale(lr)`` it is decoupled decay (AdamW). ``decay_weights(wd)``
  gives it as a tuple to unpack into a chain, empty for 0.
* ``scale_by_sign()``: u <- sign(u).

Momentum
* ``trace(decay, nesterov=False)``: v <- decay v + u, u <- v (or u + decay v).
* ``interpolate_momentum(beta1, beta2)``: Lion's, u <- beta1 m + (1 - beta1) u,
  m <- beta2 m + (1 - beta2) g.

Per-weight scales
* ``scale_by_root_of_squares(decay, weight, eps, eps_inside_sqrt, initial=0.0)``:
  s <- decay s + weight u^2, u <- u / (sqrt(s) + eps) (Adagrad, RMSprop).
* ``scale_by_adadelta(rho, eps)``: Zeiler's ratio of running averages.
* ``scale_by_adam(beta1, beta2, eps, correction, amsgrad=False)``:
  u <- m_hat / (sqrt(v_hat) + eps), m_hat = m / c1, v_hat = v / c2 with (c1, c2) = correction(t);
  ``amsgrad`` keeps the running max of v.
* ``step_bias_correction(beta1, beta2)``: Kingma & Ba's correction, (1 - beta1^t, 1 - beta2^t).
* ``scale_by_nadam(beta1, beta2, eps, momentum_decay)``, ``scale_by_adamax(beta1, beta2, eps)``,
  ``scale_by_radam(beta1, beta2, eps)``: torch.optim's NAdam, Adamax and RAdam steps.
* ``scale_by_sign_agreement(initial, etas, step_sizes)``: Rprop's per-weight step sizes.
* ``scale_by_factored_rms(beta2_decay, eps1)``, ``clip_by_rms(threshold)``,
  ``scale_by_relative_step(lr, eps2)``: Adafactor's three stages.
* ``orthogonalise(coefficients, steps, eps)``, ``scale_by_shape(lr, adjust_lr_fn)``: Muon's
  Newton-Schulz step and its shape-dependent learning rate (2-D weights only).

Noise
* ``gumbel_noise()``: replace u by standard Gumbel samples (noise training).
* ``add_gaussian_noise(eta, gamma)``: u <- u + N(0, eta / (1 + t)^gamma).
"""

from reportgen.optimizers.adam_family import scale_by_adamax, scale_by_radam
from reportgen.optimizers.lion_schedulefree import interpolate_momentum, scale_by_sign
from reportgen.optimizers.noise import add_gaussian_noise, gumbel_noise
from reportgen.optimizers.scale_free_parts import (
    clip_by_rms,
    orthogonalise,
    scale_by_factored_rms,
    scale_by_relative_step,
    scale_by_shape,
    scale_by_sign_agreement,
)
from reportgen.optimizers.moments import scale_by_adam, scale_by_nadam, step_bias_correction
from reportgen.optimizers.transforms import (
    add_decayed_weights,
    decay_weights,
    scale,
    scale_by_adadelta,
    scale_by_root_of_squares,
    trace,
)

__all__ = [
    "add_decayed_weights", "add_gaussian_noise", "clip_by_rms", "decay_weights", "gumbel_noise", "interpolate_momentum",
    "orthogonalise", "scale", "scale_by_adadelta", "scale_by_adam", "scale_by_adamax", "scale_by_factored_rms",
    "scale_by_nadam", "scale_by_radam", "scale_by_relative_step", "scale_by_root_of_squares", "scale_by_shape",
    "scale_by_sign", "scale_by_sign_agreement", "step_bias_correction", "trace",
]
