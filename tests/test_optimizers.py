"""The optimizers against their formulas written out plainly, the noise against
numpy's own samplers, and the API's checks (textbook a-h vs torch: test_torch_parity.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from latex2mathml.converter import convert

from reportgen import optimizers
from reportgen.errors import ConfigError
from reportgen.optimizers import kernels, mt19937
from reportgen.optimizers.registry import REFERENCE_KEYS
from reportgen.optimizers.noise import fill_gumbel, fill_normal, uniform_source

SHAPES = ((5, 4), (4, 3), (3, 1))
STEPS = 5


def initial_params(dtype=np.float64):
    generator = np.random.default_rng(11)
    return [generator.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient(params):
    """A gradient that depends on where it is taken, so look-ahead points matter."""
    return [np.sin(3.0 * w) + 0.5 * w + 0.1 for w in params]


def run(optimizer, rng, params=None, steps=STEPS):
    params = initial_params() if params is None else params
    state = optimizer.init(params, rng)
    for _ in range(steps):
        if optimizer.gradient == "none":
            grads = None
        else:
            point = optimizer.lookahead(params, state)
            grads = gradient(point)
        params, state = optimizer.update(params, grads, state)
    return params


# ---- seed-2018: each rule written out as the script's arithmetic, fresh arrays --------------


def plain_2018(name, rng, lr=None, steps=STEPS, steps_per_epoch=2, eta=0.001):
    lr = optimizers.defaults(name, "seed-2018").get("lr") if lr is None else lr
    w = initial_params()
    zeros = lambda: [np.zeros(shape) for shape in SHAPES]  # noqa: E731
    a, b = zeros(), zeros()
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(steps):
        if name == "nesterov":
            g = gradient([wk - 0.001 * vk for wk, vk in zip(w, a)])
        elif name in ("noise_training", "noise_gaussian", "adam_noise"):
            g = [rng.gumbel(size=shape) for shape in SHAPES]
        else:
            g = gradient(w)
        if name in ("gaussian_noise", "noise_gaussian"):
            n = rng.normal(0, eta / (1 + t // steps_per_epoch) ** 0.55)
        for k in range(len(w)):
            if name in ("sgd", "noise_training"):
                w[k] = w[k] - lr * g[k]
            elif name in ("momentum", "nesterov"):
                a[k] = 0.001 * a[k] + lr * g[k]
                w[k] = w[k] - a[k]
            elif name == "adagrad":
                a[k] = a[k] + g[k] ** 2
                w[k] = w[k] - lr * g[k] / np.sqrt(a[k] + 1e-8)
            elif name == "adadelta":
                a[k] = 0.001 * a[k] + (1 - 0.001) * g[k] ** 2
                d = -np.sqrt(b[k] + 1e-6) / np.sqrt(a[k] + 1e-6) * g[k]
                b[k] = 0.001 * b[k] + (1 - 0.001) * d**2
                w[k] = w[k] - d
            elif name == "rmsprop":
                a[k] = 0.9 * a[k] + 0.1 * g[k] ** 2
                w[k] = w[k] - lr * g[k] / np.sqrt(a[k] + 1e-8)
            elif name in ("adam", "nadam", "adam_noise"):
                a[k] = beta1 * a[k] + (1 - beta1) * g[k]
                b[k] = beta2 * b[k] + (1 - beta2) * g[k] ** 2
                m_hat = a[k] / (1 - beta1)
                v_hat = b[k] / (1 - beta2)
                if name == "nadam":
                    w[k] = w[k] - lr * (beta1 * m_hat + (1 - beta1) * g[k] / (1 - beta1)) / (np.sqrt(v_hat) + eps)
                else:
                    w[k] = w[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            elif name in ("gaussian_noise", "noise_gaussian"):
                w[k] = w[k] - lr * (g[k] + n)
    return w


@pytest.mark.parametrize("name", optimizers.ARTICLE_METHODS)
def test_seed_2018_rule_matches_its_formula(name):
    hyperparams = {"steps_per_epoch": 2, "eta": 0.5} if name in ("gaussian_noise", "noise_gaussian") else {}
    ours = run(optimizers.create(name, "seed-2018", **hyperparams), np.random.RandomState(7))
    expected = plain_2018(name, np.random.RandomState(7), eta=hyperparams.get("eta", 0.001))
    start = initial_params()
    for w, e, w0 in zip(ours, expected, start):
        np.testing.assert_allclose(w, e, rtol=1e-12, atol=1e-15)
        assert not np.allclose(w, w0, rtol=0, atol=1e-9), "the rule must move the weights for the check to mean anything"


def test_seed_2018_adadelta_climbs_the_gradient():
    optimizer = optimizers.create("adadelta", "seed-2018")
    params = initial_params()
    before = [w.copy() for w in params]
    grads = gradient(params)
    params, _ = optimizer.update(params, [g.copy() for g in grads], optimizer.init(params))
    for w, w0, g in zip(params, before, grads):
        moved = w - w0
        assert np.all(np.sign(moved[g != 0]) == np.sign(g[g != 0]))


def test_seed_2018_nesterov_looks_ahead_by_alpha_v():
    optimizer = optimizers.create("nesterov", "seed-2018", momentum=0.5)
    params = initial_params()
    state = optimizer.init(params)
    np.testing.assert_array_equal(optimizer.lookahead(params, state)[0], params[0])  # v = 0 at first
    params, state = optimizer.update(params, gradient(optimizer.lookahead(params, state)), state)
    velocity = 0.5 * 0 + 3e-4 * gradient(initial_params())[0]
    np.testing.assert_allclose(optimizer.lookahead(params, state)[0], params[0] - 0.5 * velocity, rtol=1e-14)
    assert optimizers.create("nesterov", "textbook").lookahead(params, state)[0] is params[0]


def test_seed_2018_nadam_keeps_the_scripts_rounding():
    """(1 - beta1) g / (1 - beta1) is not g in floating point; the rule must match the script bit for bit there."""
    g = np.random.default_rng(3).standard_normal(1000)
    assert np.any((1 - 0.9) * g / (1 - 0.9) != g)
    optimizer = optimizers.create("nadam", "seed-2018", lr=1.0)
    params = [np.zeros(1000)]
    params, _ = optimizer.update(params, [g.copy()], optimizer.init(params))
    m_hat = ((1 - 0.9) * g) / (1 - 0.9)  # m after one step, divided by 1 - beta1
    v_hat = ((1 - 0.999) * g**2) / (1 - 0.999)
    numerator = (1 - 0.9) * g / (1 - 0.9) + m_hat * 0.9
    np.testing.assert_array_equal(-params[0], numerator / (np.sqrt(v_hat) + 1e-8))


# ---- noise ---------------------------------------------------------------------------------


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "kernels"])
@pytest.mark.parametrize("make_rng", [lambda: np.random.Generator(np.random.PCG64(5)), lambda: np.random.RandomState(678)])
def test_in_place_gumbel_and_normal_equal_numpys(make_rng, compiled):
    ours, theirs = make_rng(), make_rng()
    with kernels.fused(compiled):
        gumbel, small = fill_gumbel(uniform_source(ours), [np.empty((784, 256)), np.empty(7)])
    expected = theirs.gumbel(size=200_704).reshape(784, 256)
    # np.log (SIMD) and the C library's log may differ in the last bit: ~1e-16 absolute.
    assert np.all(np.abs(gumbel - expected) <= 1e-15 * np.maximum(1.0, np.abs(expected)))
    assert np.all(np.abs(small - theirs.gumbel(size=7)) <= 1e-15 * np.maximum(1.0, np.abs(small)))
    normal = fill_normal(ours, np.empty(1000)) * 0.3
    np.testing.assert_array_equal(normal, theirs.normal(0, 0.3, size=1000))
    np.testing.assert_array_equal(ours.random(5) if hasattr(ours, "integers") else ours.random_sample(5),
                                  theirs.random(5) if hasattr(theirs, "integers") else theirs.random_sample(5))


def test_compiled_mt19937_draws_numpys_doubles_and_leaves_its_state():
    """Sizes that end mid-block and mid-word-pair, from a generator already partway through its state."""
    ours, theirs = np.random.MT19937(11), np.random.MT19937(11)
    np.random.Generator(ours).random(3)
    expected = 1.0 - np.random.Generator(theirs).random(3 + 311 + 1 + 200_704)[3:]
    outs = [np.empty(311), np.empty(1), np.empty((784, 256))]
    mt19937.fill_one_minus_uniform(ours, outs)
    assert np.concatenate([out.reshape(-1) for out in outs]).tobytes() == expected.tobytes()
    assert np.random.Generator(ours).random(1000).tobytes() == np.random.Generator(theirs).random(1000).tobytes()


def test_textbook_gaussian_noise_is_exact_with_the_same_seed():
    optimizer = optimizers.create("gaussian_noise", "textbook", lr=1.0, eta=0.3)
    state = optimizer.init([np.zeros(shape) for shape in SHAPES], np.random.Generator(np.random.PCG64(9)))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(9).spawn(1)[0]))  # the Gaussian's own stream
    for t in range(3):
        # from w = 0 with g = 0 and lr = 1 the new weights are exactly -n
        params, state = optimizer.update([np.zeros(shape) for shape in SHAPES], [np.zeros(shape) for shape in SHAPES], state)
        sd = np.sqrt(0.3 / (1 + t) ** 0.55)
        for w, shape in zip(params, SHAPES):
            np.testing.assert_array_equal(-w, rng.normal(0, sd, size=shape))


@pytest.mark.parametrize("name", ["gaussian_noise", "noise_gaussian"])
def test_textbook_noise_variance_follows_eta_over_one_plus_t_to_gamma(name):
    optimizer = optimizers.create(name, "textbook", lr=1.0, eta=0.3, gamma=0.55)
    params = [np.zeros(100_000)]
    state = optimizer.init(params, np.random.Generator(np.random.PCG64(1)))
    gumbel = np.random.Generator(np.random.PCG64(1))
    for t in range(10):
        before = params[0].copy()
        grads = None if optimizer.gradient == "none" else [np.zeros(100_000)]
        params, state = optimizer.update(params, grads, state)
        noise = before - params[0]
        if name == "noise_gaussian":
            noise -= gumbel.gumbel(size=100_000)  # the Gaussian has a stream of its own
        if t in (0, 9):
            assert abs(noise.var() / (0.3 / (1 + t) ** 0.55) - 1) < 0.03
            assert abs(noise.mean()) < 5 * np.sqrt(0.3 / 100_000)


@pytest.mark.parametrize("variant", optimizers.VARIANTS)
@pytest.mark.parametrize("name", ["noise_training", "noise_gaussian", "adam_noise"])
def test_noise_methods_take_no_gradient(name, variant):
    optimizer = optimizers.create(name, variant)
    assert optimizer.gradient == "none"
    params = initial_params()
    state = optimizer.init(params)
    with pytest.raises(ValueError):
        optimizer.update(params, gradient(params), state)
    params, state = optimizer.update(params, None, state)
    assert not np.array_equal(params[0], initial_params()[0])


def _j_and_k(variant, seed, steps, **settings):
    """The weights of j and k after ``steps`` steps from zero, both runs from the same seed."""
    after = {}
    for name, extra in (("noise_training", {}), ("noise_gaussian", settings)):
        optimizer = optimizers.create(name, variant, lr=0.1, **extra)
        params = [np.zeros(shape) for shape in SHAPES]
        state = optimizer.init(params, seed())
        for _ in range(steps):
            params, state = optimizer.update(params, None, state)
        after[name] = params
    return after["noise_training"], after["noise_gaussian"]


@pytest.mark.parametrize(
    ("variant", "settings", "seed", "own"),
    [
        ("textbook", {}, lambda: np.random.Generator(np.random.PCG64(4)), lambda: np.random.SeedSequence(4).spawn(1)[0]),
        ("seed-2018", {"own_stream": True}, lambda: np.random.RandomState(4), lambda: np.random.SeedSequence(np.random.RandomState(4).get_state()[1].tolist())),
    ],
)
def test_k_shares_every_gumbel_sample_of_j_when_its_gaussian_has_its_own_stream(variant, settings, seed, own):
    """Common random numbers: k - j is exactly lr times the sum of the Gaussian draws of k's own stream."""
    j, k = _j_and_k(variant, seed, 5, **settings)
    rng = np.random.Generator(np.random.PCG64(own()))
    if variant == "seed-2018":  # one scalar per step, epoch 0
        scalar = sum(rng.normal(0, 0.001) for _ in range(5))
        total = [np.full(shape, scalar) for shape in SHAPES]
    else:
        draws = [[rng.normal(0, np.sqrt(0.01 / (1 + t) ** 0.55), size=shape) for shape in SHAPES] for t in range(5)]
        total = [sum(step[layer] for step in draws) for layer in range(len(SHAPES))]
    for j_layer, k_layer, n in zip(j, k, total):
        np.testing.assert_allclose(j_layer - k_layer, 0.1 * n, rtol=1e-9, atol=1e-15)


def test_seed_2018_k_draws_its_gaussian_between_the_gumbel_samples_as_in_2018():
    """The faithful replica: one step is j's Gumbel step plus the scalar drawn next; from step 2 on the Gumbel samples differ."""
    j, k = _j_and_k("seed-2018", lambda: np.random.RandomState(4), 1)
    rng = np.random.RandomState(4)
    for shape in SHAPES:
        rng.gumbel(size=shape)
    scalar = rng.normal(0, 0.001)
    for j_layer, k_layer in zip(j, k):
        np.testing.assert_allclose(j_layer - k_layer, 0.1 * scalar, rtol=1e-12, atol=1e-17)
    j, k = _j_and_k("seed-2018", lambda: np.random.RandomState(4), 2)
    assert np.abs(j[0] - k[0]).max() > 0.01  # other Gumbel samples, not a scalar apart


@pytest.mark.parametrize("variant", optimizers.VARIANTS)
def test_adam_noise_is_adam_fed_by_gumbel_samples(variant):
    seed = lambda: np.random.RandomState(2) if variant == "seed-2018" else np.random.Generator(np.random.PCG64(2))  # noqa: E731
    noise_adam = run(optimizers.create("adam_noise", variant, lr=1e-2), seed())
    adam = optimizers.create("adam", variant, lr=1e-2)
    rng, params = seed(), initial_params()
    state = adam.init(params)
    for _ in range(STEPS):
        params, state = adam.update(params, [rng.gumbel(size=shape) for shape in SHAPES], state)
    for ours, expected in zip(noise_adam, params):
        np.testing.assert_allclose(ours, expected, rtol=1e-13)


def test_default_rng_is_pcg64_zero():
    optimizer = optimizers.create("noise_training", "textbook", lr=1.0)
    implicit = run(optimizer, None, steps=2)
    explicit = run(optimizer, np.random.Generator(np.random.PCG64(0)), steps=2)
    np.testing.assert_array_equal(implicit[0], explicit[0])


# ---- the API -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_updates_in_place_and_float32_stays_float32(name, variant):
    optimizer = optimizers.create(name, variant)
    params = initial_params(np.float32)
    originals = list(params)
    result = run(optimizer, np.random.Generator(np.random.PCG64(3)) if variant == "textbook" else np.random.RandomState(3), params)
    assert all(r is o for r, o in zip(result, originals))
    assert all(w.dtype == np.float32 for w in result)
    wide = run(optimizer, np.random.Generator(np.random.PCG64(3)) if variant == "textbook" else np.random.RandomState(3))
    for narrow, reference in zip(result, wide):
        np.testing.assert_allclose(narrow, reference, rtol=1e-4, atol=1e-5)


def test_constants():
    assert optimizers.ARTICLE_METHODS[2] == "nesterov" and len(optimizers.ARTICLE_METHODS) == 12
    assert [optimizers.LETTERS[name] for name in optimizers.ARTICLE_METHODS] == list("abcdefghijkl")
    assert all(optimizers.variants_of(name) == optimizers.VARIANTS for name in optimizers.ARTICLE_METHODS)
    assert all(optimizers.variants_of(name) == ("textbook",) for name in optimizers.METHODS[12:])
    assert optimizers.VARIANTS == ("textbook", "seed-2018")


@pytest.mark.parametrize(
    "name, hyperparams, message",
    [
        ("adam", {"beta": (0.9, 0.99)}, "did you mean 'betas'"),
        ("adam", {"lr": -0.1}, "'lr'"),
        ("adam", {"betas": (0.9, 1.0)}, "'betas[1]'"),
        ("adam", {"betas": 0.9}, "'betas'"),
        ("rmsprop", {"eps": float("nan")}, "'eps'"),
        ("sgd", {"lr": "0.1"}, "must be a finite number"),
        ("momentum", {"momentum": True}, "'momentum'"),
        ("adadelta", {"rho": 1.5}, "'rho'"),
        ("gaussian_noise", {"steps_per_epoch": 0}, "'steps_per_epoch'"),
        ("adadelta", {"lr": 0.1}, "unknown hyperparameter 'lr'"),
    ],
)
def test_bad_hyperparameters_raise_config_error(name, hyperparams, message):
    variant = "seed-2018" if "steps_per_epoch" in hyperparams or "rho" in hyperparams or name == "adadelta" else "textbook"
    with pytest.raises(ConfigError, match=r"^" + name) as caught:
        optimizers.create(name, variant, **hyperparams)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_method_or_variant_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="did you mean 'nadam'.*sgd, momentum"):
        optimizers.create("nadma")
    with pytest.raises(ConfigError, match="textbook, seed-2018"):
        optimizers.describe("sgd", "seed2018")


def test_hyperparameters_are_resolved_and_json_able():
    import json

    optimizer = optimizers.create("adam", "textbook", betas=(0.8, 0.9), lr=1)
    assert optimizer.hyperparams == {"lr": 1.0, "betas": [0.8, 0.9], "eps": 1e-8, "weight_decay": 0.0}
    assert json.loads(json.dumps(optimizers.defaults("nadam", "textbook")))["momentum_decay"] == 4e-3
    assert optimizers.defaults("gaussian_noise", "seed-2018") == {
        "lr": 3e-4, "eta": 0.001, "gamma": 0.55, "steps_per_epoch": 50,
        "scalar_noise": True, "eta_is_sd": True, "decay_per_epoch": True, "own_stream": False,
    }
    assert optimizers.defaults("adam_noise", "seed-2018")["lr"] == 1e-5


@pytest.mark.parametrize("name, variant", optimizers.every_method())
def test_describe(name, variant):
    info = optimizers.describe(name, variant)
    assert (info.name, info.letter, info.variant) == (name, optimizers.LETTERS[name], variant)
    assert info.title
    mathml = convert(info.equation)
    assert "<math" in mathml and not re.search(r">\\[A-Za-z]+<", mathml), "a LaTeX command latex2mathml does not know"
    assert info.references and set(info.references) <= set(REFERENCE_KEYS)
    builder = f"def {name}("
    assert info.source.count(builder) >= 1 and "np." in info.source
    if variant == "seed-2018" and name not in ("sgd", "noise_training"):
        assert info.quirks
    if variant == "textbook":
        assert info.quirks == []


def test_the_registry_says_which_methods_take_no_gradient_and_which_add_gaussian_noise():
    for variant in optimizers.VARIANTS:
        built = [name for name, built_in in optimizers.every_method() if built_in == variant]
        gradient_free = {name for name in built if optimizers.describe(name, variant).gradient == "none"}
        gaussian = {name for name in built if optimizers.adds_gaussian_noise(name, variant)}
        assert gradient_free == {"noise_training", "noise_gaussian", "adam_noise"}, variant
        assert gaussian == {"gaussian_noise", "noise_gaussian"}, variant
