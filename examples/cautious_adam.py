"""Cautious Adam (Liang et al. 2024) as a reportgen plugin: Adam's step, kept only where it points
the same way as the gradient, and rescaled so the kept part has the full step's size on average.

    [methods.cautious_adam]
    plugin = "cautious_adam.py:cautious_adam"   # relative to the TOML file
    lr = 0.01

torch.optim and optax do not have it; pytorch-optimizer offers it as a ``cautious=True`` flag.
"""

import numpy as np

from reportgen.optimizers import Citation, Rule, Transform, chain, declare
from reportgen.optimizers.parts import scale, scale_by_adam, step_bias_correction


def cautious(inner: Transform) -> Transform:
    """Run ``inner``, then zero its step where step * gradient <= 0 and scale the rest by size / (kept + 1)."""

    def init(params, rng):
        return inner.init(params, rng), [np.empty_like(p) for p in params]

    def update(updates, state, params):
        inner_state, gradients = state
        for g, u in zip(gradients, updates):
            np.copyto(g, u)
        updates, inner_state = inner.update(updates, inner_state, params)
        for g, u in zip(gradients, updates):
            agrees = u * g > 0
            u *= agrees * (agrees.size / (np.count_nonzero(agrees) + 1))
        return updates, (inner_state, gradients)

    return Transform(init, update)


@declare(
    title="Cautious Adam",
    equation=(
        r"u = \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon} \text{ (Adam's step)}, \quad \phi = \mathbb{1}[u \odot g > 0]",
        r"w \leftarrow w - \mathrm{lr}\, \frac{\dim \phi}{\lVert \phi \rVert_0 + 1}\, u \odot \phi",
    ),
    references=(Citation("Liang et al. 2024", "Liang, K., Chen, L., Liu, B., & Liu, Q. (2024). Cautious optimizers: "
                         "improving training with one line of code. arXiv:2411.16085.", "https://arxiv.org/abs/2411.16085"), "kingma2014"),
    derivation="Adam's step $u$ can point against the current gradient $g$, when the momentum still carries an old "
               "direction. The cautious variant drops those entries [@kingma2014], and scales the others up so the step "
               "keeps its size on average.",
)
def cautious_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    return Rule(chain(cautious(scale_by_adam(beta1, beta2, eps, step_bias_correction(beta1, beta2))), scale(lr)))
