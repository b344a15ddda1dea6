r"""The published algorithms. a-h follow torch.optim step for step (defaults
included); i-l follow their papers. g is the gradient at w, lr the learning
rate, and every update is w <- w - u with u built by the method's chain.
"""

from __future__ import annotations

from reportgen.optimizers.base import Rule, chain
from reportgen.optimizers.registry import Catalog
from reportgen.optimizers.noise import add_gaussian_noise, gumbel_noise
from reportgen.optimizers.moments import scale_by_adam, scale_by_nadam, step_bias_correction
from reportgen.optimizers.transforms import decay_weights, scale, scale_by_adadelta, scale_by_root_of_squares, trace

TEXTBOOK = Catalog("textbook")


@TEXTBOOK.method("sgd", equation=(r"w \leftarrow w - \mathrm{lr}\, g",), references=("ruder2016",))
def sgd(lr=1e-3, weight_decay=0.0):
    """torch.optim.SGD without momentum."""
    return Rule(chain(*decay_weights(weight_decay), scale(lr)))


@TEXTBOOK.method(
    "momentum",
    equation=(r"v \leftarrow \mu v + \mathrm{lr}\, g", r"w \leftarrow w - v"),
    references=("qian1999", "sutton1986", "ruder2016"),
)
def momentum(lr=1e-3, momentum=0.9, weight_decay=0.0, *, scheduled=False):
    """torch.optim.SGD(momentum=mu): b <- mu b + g, w <- w - lr b; the same with v = lr b.
    When a schedule changes lr between steps, v = lr b no longer holds: the chain then keeps torch's b and scales last."""
    if scheduled:
        return Rule(chain(*decay_weights(weight_decay), trace(momentum), scale(lr)))
    return Rule(chain(*decay_weights(weight_decay), scale(lr), trace(momentum)))


@TEXTBOOK.method(
    "nesterov",
    equation=(r"v \leftarrow \mu v + \mathrm{lr}\, g", r"w \leftarrow w - (\mathrm{lr}\, g + \mu v)"),
    references=("nesterov1983", "ruder2016"),
)
def nesterov(lr=1e-3, momentum=0.9, weight_decay=0.0, *, scheduled=False):
    """torch.optim.SGD(momentum=mu, nesterov=True): the look-ahead folded into the step,
    so the gradient is taken at w itself. Scheduled, lr scales last, as in ``momentum``."""
    if scheduled:
        return Rule(chain(*decay_weights(weight_decay), trace(momentum, nesterov=True), scale(lr)))
    return Rule(chain(*decay_weights(weight_decay), scale(lr), trace(momentum, nesterov=True)))


@TEXTBOOK.method(
    "adagrad",
    equation=(r"G \leftarrow G + g^{2}", r"w \leftarrow w - \mathrm{lr}\, \frac{g}{\sqrt{G} + \epsilon}"),
    references=("duchi2011",),
)
def adagrad(lr=1e-2, eps=1e-10, initial_accumulator_value=0.0, weight_decay=0.0):
    """torch.optim.Adagrad with lr_decay = 0 (G starts at initial_accumulator_value)."""
    squares = scale_by_root_of_squares(1.0, 1.0, eps, eps_inside_sqrt=False, initial=initial_accumulator_value)
    return Rule(chain(*decay_weights(weight_decay), squares, scale(lr)))


@TEXTBOOK.method(
    "adadelta",
    equation=(
        r"E[g^{2}] \leftarrow \rho E[g^{2}] + (1 - \rho) g^{2}",
        r"\Delta \leftarrow \frac{\sqrt{E[\Delta^{2}] + \epsilon}}{\sqrt{E[g^{2}] + \epsilon}}\, g",
        r"E[\Delta^{2}] \leftarrow \rho E[\Delta^{2}] + (1 - \rho) \Delta^{2}",
        r"w \leftarrow w - \mathrm{lr}\, \Delta",
    ),
    references=("zeiler2012",),
)
def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """torch.optim.Adadelta (Zeiler's rule; lr = 1 is the paper's)."""
    return Rule(chain(*decay_weights(weight_decay), scale_by_adadelta(rho, eps), scale(lr)))


@TEXTBOOK.method(
    "rmsprop",
    equation=(r"v \leftarrow \alpha v + (1 - \alpha) g^{2}", r"w \leftarrow w - \mathrm{lr}\, \frac{g}{\sqrt{v} + \epsilon}"),
    references=("hinton2012",),
)
def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    """torch.optim.RMSprop, not centered, no momentum."""
    return Rule(chain(*decay_weights(weight_decay), scale_by_root_of_squares(alpha, 1.0 - alpha, eps, eps_inside_sqrt=False), scale(lr)))


@TEXTBOOK.method(
    "adam",
    equation=(
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}",
        r"\hat{m} = \frac{m}{1 - \beta_1^{t}}, \quad \hat{v} = \frac{v}{1 - \beta_2^{t}}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}",
    ),
    references=("kingma2014",),
)
def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam (not amsgrad, weight decay added to the gradient); t counts steps from 1."""
    beta1, beta2 = betas
    return Rule(chain(*decay_weights(weight_decay), scale_by_adam(beta1, beta2, eps, step_bias_correction(beta1, beta2)), scale(lr)))


@TEXTBOOK.method(
    "nadam",
    equation=(
        r"\mu_t = \beta_1 \left(1 - \tfrac{1}{2}\, 0.96^{t \psi}\right)",
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}",
        r"w \leftarrow w - \mathrm{lr} \left(\frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i}\, g"
        r" + \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i}\, m\right) \Big/ \left(\sqrt{\frac{v}{1 - \beta_2^{t}}} + \epsilon\right)",
    ),
    references=("dozat2016",),
)
def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3, weight_decay=0.0):
    """torch.optim.NAdam (decoupled_weight_decay off); psi = momentum_decay."""
    beta1, beta2 = betas
    return Rule(chain(*decay_weights(weight_decay), scale_by_nadam(beta1, beta2, eps, momentum_decay), scale(lr)))


@TEXTBOOK.method(
    "gaussian_noise",
    equation=(r"n \sim \mathcal{N}\!\left(0, \frac{\eta}{(1 + t)^{\gamma}}\right) \text{ per element}", r"w \leftarrow w - \mathrm{lr}\, (g + n)"),
    references=("neelakantan2015",),
)
def gaussian_noise(lr=1e-3, eta=0.01, gamma=0.55):
    """Neelakantan et al. 2015 on SGD; t = steps already taken. lr defaults to SGD's so a and i compare."""
    return Rule(chain(add_gaussian_noise(eta, gamma), scale(lr)))


def fed_by_gumbel(rule: Rule) -> Rule:
    """Run ``rule`` (a chain) on a fresh standard Gumbel sample per element instead of the gradient.
    One flat chain, so that ``fusion`` sees how it ends."""
    return Rule(chain(gumbel_noise(), *rule.transform.parts), gradient="none")


@TEXTBOOK.method(
    "noise_training",
    equation=(r"G \sim \mathrm{Gumbel}(0, 1) \text{ per element}", r"w \leftarrow w - \mathrm{lr}\, G"),
    references=("seo2018noise",),
)
def noise_training(lr=1e-5):
    """Seo 2018: SGD fed by Gumbel noise; no gradient at all."""
    return fed_by_gumbel(sgd(lr))


@TEXTBOOK.method(
    "noise_gaussian",
    equation=(
        r"G \sim \mathrm{Gumbel}(0, 1), \quad n \sim \mathcal{N}\!\left(0, \frac{\eta}{(1 + t)^{\gamma}}\right) \text{ per element}",
        r"w \leftarrow w - \mathrm{lr}\, (G + n)",
    ),
    references=("seo2018noise", "neelakantan2015"),
)
def noise_gaussian(lr=1e-5, eta=0.01, gamma=0.55):
    """Method i fed by Gumbel noise: noise training plus Gaussian additive noise."""
    return fed_by_gumbel(gaussian_noise(lr, eta, gamma))


@TEXTBOOK.method(
    "adam_noise",
    equation=(
        r"G \sim \mathrm{Gumbel}(0, 1) \text{ per element}",
        r"m \leftarrow \beta_1 m + (1 - \beta_1) G, \quad v \leftarrow \beta_2 v + (1 - \beta_2) G^{2}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{m / (1 - \beta_1^{t})}{\sqrt{v / (1 - \beta_2^{t})} + \epsilon}",
    ),
    references=("seo2018noise", "kingma2014"),
)
def adam_noise(lr=1e-5, betas=(0.9, 0.999), eps=1e-8):
    """Adam (method g) fed by Gumbel noise."""
    return fed_by_gumbel(adam(lr, betas, eps))
