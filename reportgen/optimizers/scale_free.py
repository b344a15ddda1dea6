r"""Methods whose step length does not follow the gradient's size, as torch.optim 2.13.0 defines them:
Rprop uses only the gradient's sign, Adafactor divides it by its own root mean square and scales by the
weights' size, Muon orthogonalises it. Textbook variant only; g is the gradient at w and every update is
w <- w - u with u built by the method's chain (parts in ``scale_free_parts`` and ``transforms``).
"""

from __future__ import annotations

from reportgen.optimizers.base import Rule, chain
from reportgen.optimizers.scale_free_parts import (
    clip_by_rms,
    orthogonalise,
    scale_by_factored_rms,
    scale_by_relative_step,
    scale_by_shape,
    scale_by_sign_agreement,
)
from reportgen.optimizers.textbook import TEXTBOOK
from reportgen.optimizers.transforms import decay_weights, trace

FLOAT64_EPSILON = 2.220446049250313e-16  # numpy.finfo(numpy.float64).eps


@TEXTBOOK.method(
    "rprop",
    equation=(
        r"\eta = \eta_{+},\ \eta_{-} \text{ or } 1 \text{ as } g\, g_{\mathrm{prev}} > 0,\ < 0 \text{ or } = 0",
        r"s \leftarrow \min(\max(\eta\, s, s_{\min}), s_{\max}), \quad g \leftarrow 0 \text{ where } g\, g_{\mathrm{prev}} < 0",
        r"w \leftarrow w - s \operatorname{sign}(g), \quad g_{\mathrm{prev}} \leftarrow g",
    ),
    references=("riedmiller1993",),
)
def rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    """torch.optim.Rprop: etas = (eta_minus, eta_plus), step_sizes = (s_min, s_max); lr is every weight's first step size."""
    return Rule(scale_by_sign_agreement(lr, etas, step_sizes))


@TEXTBOOK.method(
    "adafactor",
    equation=(
        r"\beta_t = 1 - t^{\tau}, \quad \rho_t = \min(\mathrm{lr}, 1 / \sqrt{t}), \quad \alpha_t = \max(\epsilon_2, \mathrm{RMS}(w))\, \rho_t",
        r"R \leftarrow \beta_t R + (1 - \beta_t) \operatorname{mean}_{j} g^{2}, \quad C \leftarrow \beta_t C + (1 - \beta_t) \operatorname{mean}_{i} g^{2}",
        r"V = \frac{R\, C}{\max(\operatorname{mean}_{i} R, \epsilon_1)} \text{ for a matrix, } V \leftarrow \beta_t V + (1 - \beta_t) g^{2} \text{ for a vector}",
        r"U = \frac{g}{\max(\sqrt{V}, \epsilon_1)}, \quad \hat{U} = \frac{U}{\max(1, \mathrm{RMS}(U) / d)}",
        r"w \leftarrow w - \alpha_t \hat{U} - \mathrm{lr}\, \lambda\, w",
    ),
    references=("shazeer2018",),
)
def adafactor(lr=1e-2, beta2_decay=-0.8, eps=(FLOAT64_EPSILON, 1e-3), d=1.0, weight_decay=0.0):
    """torch.optim.Adafactor: tau = beta2_decay, eps = (eps1, eps2), lambda = weight_decay (decoupled).

    torch's default eps1 = None means the machine epsilon of the weights'
    dtype; a TOML file cannot write None, so here eps1 is always a number and
    its default is float64's machine epsilon, 2.220446049250313e-16 (torch's
    None on float64 weights, which reportgen trains).
    """
    eps1, eps2 = eps
    return Rule(chain(scale_by_factored_rms(beta2_decay, eps1), clip_by_rms(d), scale_by_relative_step(lr, eps2), *decay_weights(lr * weight_decay)))


@TEXTBOOK.method(
    "muon",
    equation=(
        r"B \leftarrow \mu B + (1 - \mu) g, \quad M = (1 - \mu) g + \mu B \text{ (nesterov) or } M = B",
        r"X_0 = M / \max(\lVert M \rVert_{F}, \epsilon), \quad X_{k+1} = a X_k + (b A_k + c A_k^{2}) X_k, \quad A_k = X_k X_k^{\top}",
        r"w \leftarrow w - \mathrm{lr}\, \lambda\, w - \mathrm{lr}\, r(m, n)\, X_{K}, \quad r = \sqrt{\max(1, m / n)} \text{ or } 0.2 \sqrt{\max(m, n)}",
    ),
    references=("jordan2024muon", "liu2025muon"),
)
def muon(
    lr=1e-3,
    weight_decay=0.1,
    momentum=0.95,
    nesterov=True,
    ns_coefficients=(3.4445, -4.775, 2.0315),
    eps=1e-7,
    ns_steps=5,
    adjust_lr_fn="original",
):
    """torch.optim.Muon on 2-D weights (an m x n matrix; X is taken wide, transposed when m > n): mu = momentum,
    (a, b, c) = ns_coefficients, K = ns_steps, lambda = weight_decay (decoupled), r = adjust_lr_fn ("original",
    torch's None, or "match_rms_adamw"). As torch, the Newton-Schulz iterations run in bfloat16.
    """
    return Rule(
        chain(
            trace(momentum, nesterov, gradient_weight=1.0 - momentum),
            orthogonalise(ns_coefficients, ns_steps, eps),
            scale_by_shape(lr, adjust_lr_fn),
            *decay_weights(lr * weight_decay),
        )
    )
