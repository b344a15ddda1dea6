r"""The twelve update rules as the 2018 script ran them, quirks kept
(see shared/seed/ORIGINAL-EXPERIMENT.md). Where a rule is the textbook one
with other defaults, it calls the textbook builder.
"""

from __future__ import annotations

from reportgen.optimizers import textbook
from reportgen.errors import ConfigError
from reportgen.optimizers.base import Rule, chain
from reportgen.optimizers.registry import Catalog, Quirk
from reportgen.optimizers.textbook import fed_by_gumbel
from reportgen.optimizers.noise import add_gaussian_noise_2018
from reportgen.optimizers.moments import (
    constant_bias_correction,
    step_bias_correction,
    scale_by_adam,
    scale_by_nadam_2018,
)
from reportgen.optimizers.transforms import scale, scale_by_adadelta, scale_by_root_of_squares, trace_lookahead

SEED_2018 = Catalog("seed-2018")

LR = 3e-4  # methods a-i
NOISE_LR = 1e-5  # methods j-l, as the article states (the stored script used 3e-5)

# Method i's Gaussian, which k adds to its Gumbel samples too.
GAUSSIAN_QUIRKS = (
    Quirk("one scalar per step added to every element, not an independent draw per element", {"scalar_noise": False}),
    Quirk(
        "eta = 0.001 is the standard deviation, not the variance (the paper: eta in {0.01, 0.3, 1}; the textbook variant 0.01)",
        {"eta_is_sd": False, "eta": 0.01},
    ),
    Quirk("decays per epoch (t // S, S = steps_per_epoch), not per step", {"decay_per_epoch": False}),
)


@SEED_2018.method("sgd", equation=(r"w \leftarrow w - \mathrm{lr}\, g",), references=("ruder2016",))
def sgd(lr=LR):
    return textbook.sgd(lr)


@SEED_2018.method(
    "momentum",
    equation=(r"v \leftarrow \mu v + \mathrm{lr}\, g", r"w \leftarrow w - v"),
    references=("qian1999", "sutton1986", "ruder2016"),
    quirks=(Quirk("momentum coefficient 0.001 instead of the usual 0.9, so it is nearly plain SGD", {"momentum": 0.9}),),
    textbook_rule="v = 0.9 v + g, w -= lr v",
)
def momentum(lr=LR, momentum=0.001):
    return textbook.momentum(lr, momentum)


@SEED_2018.method(
    "nesterov",
    equation=(
        r"\tilde{g} = \nabla J(w - \mu v)",
        r"v \leftarrow \mu v + \mathrm{lr}\, \tilde{g}",
        r"w \leftarrow w - v",
    ),
    references=("nesterov1983", "ruder2016"),
    quirks=(
        Quirk("the gradient is taken at the look-ahead point w - mu v: a second full forward and backward pass per step", {"lookahead": False}),
        Quirk("momentum coefficient 0.001 instead of 0.9, so the look-ahead barely moves", {"momentum": 0.9}),
    ),
    textbook_rule="torch's Nesterov: one gradient, w -= lr (g + 0.9 v)",
)
def nesterov(lr=LR, momentum=0.001, lookahead=True):
    """Method b's parts; only where the gradient is taken differs. Part 1 of b's chain is the trace."""
    if not lookahead:
        return textbook.nesterov(lr, momentum)
    return Rule(textbook.momentum(lr, momentum).transform, gradient="lookahead", lookahead=trace_lookahead(momentum, part=1))


@SEED_2018.method(
    "adagrad",
    equation=(r"G \leftarrow G + g^{2}", r"w \leftarrow w - \mathrm{lr}\, \frac{g}{\sqrt{G + \epsilon}}"),
    references=("duchi2011",),
    quirks=(Quirk("epsilon 1e-8 inside the square root (torch: 1e-10 added after it)", {"eps_inside_sqrt": False, "eps": 1e-10}),),
    textbook_rule="eps 1e-10 added after the square root: w -= lr g / (sqrt(G) + eps)",
)
def adagrad(lr=LR, eps=1e-8, eps_inside_sqrt=True):
    return Rule(chain(scale_by_root_of_squares(1.0, 1.0, eps, eps_inside_sqrt), scale(lr)))


@SEED_2018.method(
    "adadelta",
    equation=(
        r"E[g^{2}] \leftarrow \rho E[g^{2}] + (1 - \rho) g^{2}",
        r"d = -\frac{\sqrt{E[d^{2}] + \epsilon}}{\sqrt{E[g^{2}] + \epsilon}}\, g",
        r"E[d^{2}] \leftarrow \rho E[d^{2}] + (1 - \rho) d^{2}",
        r"w \leftarrow w - d",
    ),
    references=("zeiler2012",),
    quirks=(
        Quirk("sign bug: d already carries the minus sign and is subtracted again, so w climbs the gradient", {"sign_bug": False}),
        Quirk("rho 0.001 instead of about 0.9: both averages forget everything but the last step", {"rho": 0.9}),
        Quirk("no learning rate", why_no_fix="the step is taken whole, as with the textbook lr = 1: the same numbers"),
    ),
    textbook_rule="rho = 0.9, w = w + d with d = -RMS[dx] / RMS[g] g",
)
def adadelta(rho=0.001, eps=1e-6, sign_bug=True):
    """scale(-1.0) is the sign bug: Zeiler's step negated, then subtracted; scale(1.0) is the textbook lr = 1."""
    return Rule(chain(scale_by_adadelta(rho, eps), scale(-1.0 if sign_bug else 1.0)))


@SEED_2018.method(
    "rmsprop",
    equation=(r"v \leftarrow \alpha v + (1 - \alpha) g^{2}", r"w \leftarrow w - \mathrm{lr}\, \frac{g}{\sqrt{v + \epsilon}}"),
    references=("hinton2012",),
    quirks=(
        Quirk("epsilon 1e-8 inside the square root", {"eps_inside_sqrt": False}),
        Quirk("alpha 0.9 (Hinton's lecture value; torch's default is 0.99)", {"alpha": 0.99}),
    ),
    textbook_rule="alpha 0.99, eps 1e-8 added after the square root",
)
def rmsprop(lr=LR, alpha=0.9, eps=1e-8, eps_inside_sqrt=True):
    return Rule(chain(scale_by_root_of_squares(alpha, 1.0 - alpha, eps, eps_inside_sqrt), scale(lr)))


@SEED_2018.method(
    "adam",
    equation=(
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}",
        r"\hat{m} = \frac{m}{1 - \beta_1}, \quad \hat{v} = \frac{v}{1 - \beta_2}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}",
    ),
    references=("kingma2014",),
    quirks=(
        Quirk(
            "bias correction by the constants 1 - beta1 and 1 - beta2 instead of 1 - beta^t: every step is 10x (m) and about 31.6x (sqrt v) rescaled",
            {"constant_correction": False},
        ),
    ),
    textbook_rule="m / (1 - beta1^t), v / (1 - beta2^t)",
)
def adam(lr=LR, betas=(0.9, 0.999), eps=1e-8, constant_correction=True):
    beta1, beta2 = betas
    correction = constant_bias_correction(beta1, beta2) if constant_correction else step_bias_correction(beta1, beta2)
    return Rule(chain(scale_by_adam(beta1, beta2, eps, correction), scale(lr)))


@SEED_2018.method(
    "nadam",
    equation=(
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^{2}",
        r"\hat{m} = \frac{m}{1 - \beta_1}, \quad \hat{v} = \frac{v}{1 - \beta_2}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{\beta_1 \hat{m} + (1 - \beta_1) g / (1 - \beta_1)}{\sqrt{\hat{v}} + \epsilon}",
    ),
    references=("dozat2016",),
    quirks=(
        Quirk("constant bias correction 1 - beta1, 1 - beta2 as in its Adam", {"constant_correction": False}),
        Quirk(
            "no momentum schedule: beta1 m_hat + g in place of Dozat's mu_{t+1} m_hat + (1 - mu_t) g_hat"
            " (the schedule brings its own bias correction, so undoing it undoes the one above too)",
            {"constant_correction": False, "fixed_momentum": False},
        ),
    ),
    textbook_rule="Dozat's NAdam with the momentum-decay schedule and 1 - beta^t corrections",
)
def nadam(lr=LR, betas=(0.9, 0.999), eps=1e-8, constant_correction=True, fixed_momentum=True):
    if not fixed_momentum:
        if constant_correction:
            raise ConfigError("nadam (seed-2018): the momentum schedule brings its own bias correction; set constant_correction = false with fixed_momentum = false")
        return textbook.nadam(lr, betas, eps)
    beta1, beta2 = betas
    return Rule(chain(scale_by_nadam_2018(beta1, beta2, eps, constant_correction), scale(lr)))


@SEED_2018.method(
    "gaussian_noise",
    equation=(
        r"n \sim \mathcal{N}\!\left(0, \left(\frac{\eta}{(1 + \lfloor t / S \rfloor)^{\gamma}}\right)^{2}\right) \text{ one scalar per step}",
        r"w \leftarrow w - \mathrm{lr}\, (g + n)",
    ),
    references=("neelakantan2015",),
    quirks=(
        *GAUSSIAN_QUIRKS,
        Quirk(
            "the Gaussian is drawn from the run's noise stream, not one of its own: other numbers, the same distribution (i draws no other noise)",
            {"own_stream": True},
        ),
    ),
    textbook_rule="a fresh Gaussian per element, variance eta / (1 + t)^0.55 at step t",
)
def gaussian_noise(lr=LR, eta=0.001, gamma=0.55, steps_per_epoch=50, scalar_noise=True, eta_is_sd=True, decay_per_epoch=True, own_stream=False):
    noise = add_gaussian_noise_2018(eta, gamma, steps_per_epoch, own_stream, scalar_noise, eta_is_sd, decay_per_epoch)
    return Rule(chain(noise, scale(lr)))


@SEED_2018.method(
    "noise_training",
    equation=(r"G \sim \mathrm{Gumbel}(0, 1) \text{ per element}", r"w \leftarrow w - \mathrm{lr}\, G"),
    references=("seo2018noise",),
)
def noise_training(lr=NOISE_LR):
    return textbook.noise_training(lr)


@SEED_2018.method(
    "noise_gaussian",
    equation=(
        r"G \sim \mathrm{Gumbel}(0, 1) \text{ per element}, \quad n \text{ as in method i: one scalar per step}",
        r"w \leftarrow w - \mathrm{lr}\, (G + n)",
    ),
    references=("seo2018noise", "neelakantan2015"),
    quirks=(
        *GAUSSIAN_QUIRKS,
        Quirk(
            "the Gaussian is drawn from the Gumbel samples' generator, so from the second step on k sees other Gumbel samples than j",
            {"own_stream": True},
        ),
    ),
    textbook_rule="a fresh Gaussian per element, variance eta / (1 + t)^0.55 at step t, from a stream of its own",
)
def noise_gaussian(lr=NOISE_LR, eta=0.001, gamma=0.55, steps_per_epoch=50, scalar_noise=True, eta_is_sd=True, decay_per_epoch=True, own_stream=False):
    """own_stream = true draws the Gaussian from a stream of its own: the report's common-random-numbers control."""
    return fed_by_gumbel(gaussian_noise(lr, eta, gamma, steps_per_epoch, scalar_noise, eta_is_sd, decay_per_epoch, own_stream))


@SEED_2018.method(
    "adam_noise",
    equation=(
        r"G \sim \mathrm{Gumbel}(0, 1) \text{ per element}",
        r"m \leftarrow \beta_1 m + (1 - \beta_1) G, \quad v \leftarrow \beta_2 v + (1 - \beta_2) G^{2}",
        r"w \leftarrow w - \mathrm{lr}\, \frac{m / (1 - \beta_1)}{\sqrt{v / (1 - \beta_2)} + \epsilon}",
    ),
    references=("seo2018noise", "kingma2014"),
    quirks=(Quirk("the 2018 Adam's constant bias correction 1 - beta1, 1 - beta2", {"constant_correction": False}),),
    textbook_rule="Adam with 1 - beta^t corrections fed by the Gumbel samples",
)
def adam_noise(lr=NOISE_LR, betas=(0.9, 0.999), eps=1e-8, constant_correction=True):
    return fed_by_gumbel(adam(lr, betas, eps, constant_correction))
