r"""Adam's successors, as torch.optim 2.13.0 defines them (names, defaults, arithmetic): AdamW, Adamax,
AMSGrad and RAdam, textbook variant only. They are Adam's parts rearranged: decoupled weight decay is
``add_decayed_weights`` moved after the adaptive scaling, AMSGrad is ``scale_by_adam`` with a running
max; Adamax and RAdam need a scaling of their own, kept here as they serve one method each.
"""

from __future__ import annotations

import math

import numpy as np

from reportgen.optimizers.base import Rule, Transform, chain
from reportgen.optimizers.textbook import TEXTBOOK
from reportgen.optimizers.moments import _moments_init, _update_moments, scale_by_adam, step_bias_correction
from reportgen.optimizers.transforms import _average, decay_weights, scale

_ADAM_MOMENTS = r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}"


def scale_by_adamax(beta1: float, beta2: float, eps: float) -> Transform:
    """Kingma & Ba's Adamax as torch.optim.Adamax: m <- beta1 m + (1 - beta1) u,
    n <- max(beta2 n, |u| + eps), u <- m / ((1 - beta1^t) n). n is kept in the moments' ``second``."""
    correction = step_bias_correction(beta1, beta2)

    def update(updates, state, params):
        state = state._replace(count=state.count + 1)
        first_correction, _ = correction(state.count)
        for u, m, norm, scratch in zip(updates, state.first, state.second, state.scratch):
            _average(m, u, beta1, scratch)
            np.abs(u, out=scratch)
            np.add(scratch, eps, out=scratch)  # eps inside the max, as torch: n > 0 even for a zero gradient
            np.multiply(norm, beta2, out=norm)
            np.maximum(norm, scratch, out=norm)
            np.divide(m, first_correction, out=u)
            np.divide(u, norm, out=u)
        return updates, state

    return Transform(_moments_init, update)


def scale_by_radam(beta1: float, beta2: float, eps: float) -> Transform:
    """Liu et al.'s RAdam as torch.optim.RAdam: Adam's moments; u <- m_hat r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)
    while the variance of the adaptive rate is tractable (rho_t > 5), else plain momentum u <- m_hat.

    rho is the length of the simple moving average that v approximates: rho_inf = 2 / (1 - beta2) - 1 in
    the limit, rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t) after t steps; r_t rescales the adaptive
    rate to the variance it has in the limit. eps is added to sqrt(v) before the bias correction, as torch.
    """
    correction = step_bias_correction(beta1, beta2)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0

    def update(updates, state, params):
        state = _update_moments(updates, state, beta1, beta2)
        t = state.count
        first_correction, second_correction = correction(t)
        rho = rho_inf - 2.0 * t * beta2**t / second_correction
        rectified = rho > 5.0
        if rectified:
            rectifier = math.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
            adaptive_factor = rectifier * math.sqrt(second_correction)
        for u, m, v, scratch in zip(updates, state.first, state.second, state.scratch):
            np.divide(m, first_correction, out=u)
            if rectified:
                np.sqrt(v, out=scratch)
                np.add(scratch, eps, out=scratch)
                np.divide(u, scratch, out=u)
                np.multiply(u, adaptive_factor, out=u)
        return updates, state

    return Transform(_moments_init, update)


@TEXTBOOK.method(
    "adamw",
    equation=(
        _ADAM_MOMENTS,
        r"\hat{m} = \frac{m}{1 - \beta_1^{t}}, \quad \hat{v} = \frac{v}{1 - \beta_2^{t}}",
        r"w \leftarrow w - \mathrm{lr} \left(\frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon} + \lambda w\right)",
    ),
    references=("loshchilov2019", "kingma2014"),
)
def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """torch.optim.AdamW; lambda = weight_decay. torch shrinks w by 1 - lr lambda before Adam's step:
    the same update, written as one step."""
    beta1, beta2 = betas
    return Rule(chain(scale_by_adam(beta1, beta2, eps, step_bias_correction(beta1, beta2)), *decay_weights(weight_decay), scale(lr)))


@TEXTBOOK.method(
    "adamax",
    equation=(
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad n \leftarrow \max\left(\beta_2 n, |g| + \epsilon\right)",
        r"w \leftarrow w - \frac{\mathrm{lr}}{1 - \beta_1^{t}}\, \frac{m}{n}",
    ),
    references=("kingma2014",),
)
def adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adamax; weight_decay is added to the gradient (L2), as torch."""
    beta1, beta2 = betas
    return Rule(chain(*decay_weights(weight_decay), scale_by_adamax(beta1, beta2, eps), scale(lr)))


@TEXTBOOK.method(
    "amsgrad",
    equation=(
        _ADAM_MOMENTS + r", \quad \hat{v}_{\max} \leftarrow \max(\hat{v}_{\max}, v)",
        r"w \leftarrow w - \mathrm{lr}\, \frac{m / (1 - \beta_1^{t})}{\sqrt{\hat{v}_{\max} / (1 - \beta_2^{t})} + \epsilon}",
    ),
    references=("reddi2018", "kingma2014"),
)
def amsgrad(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam(amsgrad=True); weight_decay is added to the gradient (L2), as torch."""
    beta1, beta2 = betas
    adaptive = scale_by_adam(beta1, beta2, eps, step_bias_correction(beta1, beta2), amsgrad=True)
    return Rule(chain(*decay_weights(weight_decay), adaptive, scale(lr)))


@TEXTBOOK.method(
    "radam",
    equation=(
        _ADAM_MOMENTS,
        r"\rho_\infty = \frac{2}{1 - \beta_2} - 1, \quad \rho_t = \rho_\infty - \frac{2 t \beta_2^{t}}{1 - \beta_2^{t}}",
        r"r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\, \rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\, \rho_t}}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{m}{1 - \beta_1^{t}}\, r_t\, \frac{\sqrt{1 - \beta_2^{t}}}{\sqrt{v} + \epsilon} \quad \text{if } \rho_t > 5",
        r"w \leftarrow w - \mathrm{lr}\, \frac{m}{1 - \beta_1^{t}} \quad \text{otherwise}",
    ),
    references=("liu2020", "kingma2014"),
)
def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    """torch.optim.RAdam. weight_decay is added to the gradient (L2), or with decoupled_weight_decay
    applied as AdamW's, to the weights: the same part, after the adaptive scaling."""
    beta1, beta2 = betas
    decay = decay_weights(weight_decay)
    if decoupled_weight_decay:
        return Rule(chain(scale_by_radam(beta1, beta2, eps), *decay, scale(lr)))
    return Rule(chain(*decay, scale_by_radam(beta1, beta2, eps), scale(lr)))
