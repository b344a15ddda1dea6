"""Synthetic ResultSets shaped like real reportgen runs, small enough to render a report in seconds.

The curves mimic the 2018 figure: a, b, c and i nearly coincide; Adadelta (e)
blows up in the seed-2018 variant and saturates near the cost bound (the
sigmoid bounds each sample's cost at 0.5, so the logged total is at most
0.5 * n_train); Noise Training (j) and Noise Training + Gaussian (k) are
almost identical and nearly flat; Adam Noise (l) stays flat and then starts
to converge late. Everything is drawn from a fixed seed, so the same call
returns the same arrays.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from reportgen import cli, config, optimizers
from reportgen.analysis import analyse
from reportgen.report.render import render
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, ResultSet
from reportgen.verification import Verification, verify

METHODS = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adam",
    "nadam",
    "gaussian_noise",
    "noise_training",
    "noise_gaussian",
    "adam_noise",
)
LAYER_SIZES = (784 * 256, 256 * 128, 128 * 1)
FIXTURE_SEED = 20180205
# The presets' controls: j's noise floor, and the groups trained in lockstep.
CONTROLS = {
    "noise_floor_streams": 3,
    "noise_floor": ["noise_training"],
    "lockstep": [["noise_training", "noise_gaussian"], ["sgd", "momentum", "nesterov", "gaussian_noise"]],
}

# Per method: decay time as a fraction of the run, floor as a fraction of
# n_train, relative wall-clock cost of one epoch.
SHAPES = {
    "sgd": (0.25, 0.010, 1.0),
    "momentum": (0.25, 0.010, 1.05),
    "nesterov": (0.25, 0.010, 2.0),
    "adagrad": (0.08, 0.002, 1.2),
    "adadelta": (0.10, 0.004, 1.4),
    "rmsprop": (0.06, 0.001, 1.2),
    "adam": (0.05, 0.0005, 1.4),
    "nadam": (0.045, 0.0005, 1.5),
    "gaussian_noise": (0.25, 0.010, 1.1),
    "noise_training": (None, None, 1.6),
    "noise_gaussian": (None, None, 1.65),
    "adam_noise": (0.15, 0.02, 1.9),
}


def _decay(epochs: int, start: float, tau_fraction: float, floor: float) -> np.ndarray:
    index = np.arange(epochs)
    return floor + (start - floor) * np.exp(-index / (tau_fraction * epochs))


def _cost_curve(name: str, variant: str, epochs: int, n_train: int, start: float, rng) -> np.ndarray:
    """Logged total cost per epoch (sum over n_train samples) for one method and seed."""
    tau, floor, _ = SHAPES[name]
    base = _decay(epochs, start, 0.25, 0.010 * n_train)
    if name in ("sgd", "momentum", "nesterov", "gaussian_noise"):
        # a, b, c, i nearly coincide: alpha = 0.001 and a tiny scalar noise.
        offsets = {"sgd": 0.0, "momentum": 2e-4, "nesterov": -3e-4, "gaussian_noise": 1e-4}
        curve = base * (1.0 + offsets[name])
        if name == "gaussian_noise":
            curve = curve + 2e-4 * n_train * rng.standard_normal(epochs)
        if variant == "textbook" and name in ("momentum", "nesterov"):
            curve = _decay(epochs, start, 0.07, 0.002 * n_train)
        return curve
    if name in ("noise_training", "noise_gaussian"):
        # Gumbel drift pushes every weight the same way: a slow, nearly flat creep.
        drift = start * (1.0 - 0.03 * np.arange(epochs) / epochs)
        wiggle = 1e-4 * n_train * np.sin(np.arange(epochs) * 0.7)
        curve = drift + wiggle
        if name == "noise_gaussian":
            scale = 5e-6 if variant == "seed-2018" else 5e-4
            curve = curve + scale * n_train * rng.standard_normal(epochs)
        return curve
    if name == "adam_noise":
        flat_until = int(round(epochs * (0.6 if variant == "seed-2018" else 0.3)))
        curve = np.full(epochs, start) * (1.0 - 0.005 * np.arange(epochs) / epochs)
        late = np.arange(epochs - flat_until)
        level = curve[flat_until]
        curve[flat_until:] = floor * n_train + (level - floor * n_train) * np.exp(-late / (tau * epochs))
        return curve
    if name == "adadelta":
        if variant == "seed-2018":
            # The sign bug climbs the gradient: a short descent, then the cost
            # jumps to the bound and stays there.
            curve = _decay(epochs, start, tau, floor * n_train)
            blow_up = int(round(epochs * 0.4))
            ceiling = 0.5 * n_train * 0.97
            curve[blow_up - 1 :] = ceiling + 0.002 * n_train * rng.standard_normal(epochs - blow_up + 1)
            return np.minimum(curve, 0.5 * n_train)
        return _decay(epochs, start, 0.6, 0.01 * n_train)
    curve = _decay(epochs, start, tau, floor * n_train)
    return curve * (1.0 + 0.01 * rng.standard_normal(epochs))


def _samples(rng) -> tuple[np.ndarray, np.ndarray]:
    """Eight 28x28 digits drawn as simple shapes: 0 a ring, 1 a vertical bar."""
    labels = np.array([0, 1] * 4)
    rows, columns = np.mgrid[0:28, 0:28]
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    for index, label in enumerate(labels):
        shift_row, shift_column = rng.integers(-2, 3, size=2)
        r = rows - 14 - shift_row
        c = columns - 14 - shift_column
        if label == 0:
            radius = (r / 9.0) ** 2 + (c / 6.0) ** 2
            shape = (radius > 0.55) & (radius < 1.0)
        else:
            shape = (np.abs(c + r * 0.15) < 2.0) & (np.abs(r) < 10)
        images[index][shape] = 255
    return images, labels


def fixture_experiment(
    name: str, variant: str, seeds: tuple[int, ...], epochs: int, n_train: int, methods: dict | None = None, batch_size: int = 1
) -> config.Experiment:
    """The experiment a fixture stands for, validated as a real TOML file is: every default filled in.

    ``methods``: name -> hyperparameters; default: all twelve with their defaults.
    """
    raw = {
        "name": name,
        "description": f"Synthetic fixture shaped like the {variant} run",
        "variant": variant,
        "data": {"n_train": n_train, "n_test": 20},
        "network": {"activation": "elu_2018" if variant == "seed-2018" else "elu"},
        "training": {"epochs": epochs, "batch_size": batch_size, "seeds": list(seeds)},
        "methods": methods if methods is not None else {name: {} for name in METHODS},
    }
    if methods is None:
        raw["controls"] = CONTROLS
    return config.validate(raw, f"fixture {name}")


def make_result_set(
    experiment: str = "seed-2018",
    variant: str = "seed-2018",
    seeds: tuple[int, ...] = (678,),
    epochs: int = 30,
    n_train: int = 50,
    *,
    batch_size: int = 1,
    adadelta_nan: bool = False,
) -> ResultSet:
    """A synthetic ResultSet for all twelve methods.

    ``adadelta_nan=True`` makes the seed-2018 Adadelta stop as diverged (its
    ``diverged_epoch`` set and NaN afterwards) instead of saturating.
    """
    rng = np.random.default_rng([FIXTURE_SEED, epochs, n_train, *seeds, 0 if variant == "seed-2018" else 1])
    validated = fixture_experiment(experiment, variant, seeds, epochs, n_train, batch_size=batch_size)
    methods = list(validated.methods)
    shape = (len(METHODS), len(seeds), epochs)
    arrays = {name: np.zeros(shape) for name in EPOCH_METRICS}
    arrays.update({name: np.zeros(shape + (len(LAYER_SIZES),)) for name in LAYER_METRICS})
    diverged = np.zeros((len(METHODS), len(seeds)), dtype=int)
    n_test = 20

    for seed_index in range(len(seeds)):
        # Every method of one seed starts from the same weights, so the same first cost.
        start = 0.27 * n_train * (1.0 + 0.03 * rng.standard_normal())
        for method_index, name in enumerate(METHODS):
            cost = _cost_curve(name, variant, epochs, n_train, start, rng)
            per_sample = cost / n_train
            accuracy = np.clip(1.0 - 2.2 * per_sample + 0.02 * rng.standard_normal(epochs), 0.45, 1.0)
            accuracy = np.round(accuracy * n_test) / n_test
            seconds = 0.01 * n_train / 50 * SHAPES[name][2] * (1.0 + 0.05 * np.abs(rng.standard_normal(epochs)))
            gradient = np.sqrt(per_sample)[:, None] * np.array([2.0, 1.0, 0.5])[None, :]
            lr = methods[method_index].hyperparams.get("lr", 1.0)  # seed-2018 Adadelta has none
            if optimizers.describe(name, variant).gradient == "none":
                # Gumbel(0, 1) has root-mean-square sqrt(0.5772^2 + 1.2825^2) = 1.406.
                update = lr * 1.406 * np.sqrt(np.array(LAYER_SIZES, dtype=float))[None, :] * np.ones((epochs, 1))
                gradient = np.zeros_like(gradient)
            else:
                update = lr * gradient * (1.0 + 0.1 * rng.random((epochs, 1)))
            row = {
                "train_cost_logged": cost,
                "train_cost_mean": per_sample * 0.97,
                "test_cost": per_sample * 1.1 + 0.002,
                "test_accuracy": accuracy,
                "epoch_seconds": seconds,
                "grad_norm": gradient,
                "update_norm": update,
            }
            if name == "adadelta" and variant == "seed-2018" and adadelta_nan:
                stop = int(round(epochs * 0.4))
                diverged[method_index, seed_index] = stop
                for values in row.values():
                    values[stop:] = np.nan
            for metric, values in row.items():
                arrays[metric][method_index, seed_index] = values

    samples, sample_labels = _samples(rng)
    controls = _controls(validated.config, arrays["train_cost_logged"], rng)
    key = hashlib.sha256(repr(validated.config).encode()).hexdigest()[:16]
    return ResultSet(
        experiment=experiment,
        description=validated.description,
        config=validated.config,
        key=key,
        data={
            "source": "synthetic fixture",
            "fingerprint": "sha256:" + hashlib.sha256(samples.tobytes()).hexdigest()[:16],
            "n_train": n_train,
            "n_test": n_test,
            "label_counts": {"0": n_train // 2, "1": n_train - n_train // 2},
        },
        methods=methods,
        seeds=list(seeds),
        epochs=epochs,
        arrays=arrays,
        diverged_epoch=diverged,
        samples=samples,
        sample_labels=sample_labels,
        versions={"numpy": "fixture", "reportgen": "fixture"},
        timings={"total_seconds": float(np.nansum(arrays["epoch_seconds"]))},
        controls=controls,
    )


def _controls(config: dict, logged: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Control arrays shaped as reportgen.training.controls.stack makes them: the floor wanders
    around j, a controlled run lies close to its method's own curve, g . d tracks the cost gap."""
    settings, (_, seeds, epochs) = config["controls"], logged.shape
    controls = {}
    for name in settings["noise_floor"]:
        own = logged[METHODS.index(name)]
        controls[f"floor:{name}"] = own[:, None, :] + 0.002 * own[:, None, :] * rng.standard_normal((seeds, settings["noise_floor_streams"], epochs))
    for first, *others in settings["lockstep"]:
        for name in others:
            gap = logged[METHODS.index(name)] - logged[METHODS.index(first)]
            prefix = f"lockstep:{first}:{name}:"
            controls[prefix + "cost_logged"] = logged[METHODS.index(first)] + 0.01 * gap
            controls[prefix + "cost_gap"] = 0.01 * gap
            controls[prefix + "first_order_gap"] = 0.01 * gap * (1.0 + 1e-3 * rng.standard_normal((seeds, epochs)))
            controls[prefix + "weight_gap"] = np.abs(gap) * 1e-3
    return controls


def make_pair(epochs: int = 30, n_train: int = 50) -> tuple[ResultSet, ResultSet]:
    """The seed-2018 replica (one seed, 678) and the textbook run (three seeds)."""
    replica = make_result_set("seed-2018", "seed-2018", (678,), epochs, n_train)
    textbook = make_result_set("textbook", "textbook", (678, 679, 680), epochs, n_train)
    return replica, textbook


@functools.cache
def verified() -> Verification:
    """The report's checks run once for every test that renders: they read only the code, which a test session does not change."""
    return verify()


def build_report(tmp_path_factory, name: str, config_text: str) -> Path:
    """A real build of the experiment ``config_text`` (the command line, real training, one worker): its output directory."""
    root = tmp_path_factory.mktemp(name)
    (root / f"{name}.toml").write_text(config_text)
    assert cli.main(["build", "--config", str(root / f"{name}.toml"), "--out", str(root / "out"), "--workers", "1", "--quiet"]) == 0
    return root / "out"


def digits(value: float) -> str:
    """As the report writes a number: 4 significant digits."""
    return f"{value:.4g}"


def told_apart(value: float, others) -> str:
    """``value`` with the fewest significant digits (at least 4) that tell it from every other, different value."""
    rest = [other for other in others if other != value]
    count = next((count for count in range(4, 18) if all(f"{value:.{count}g}" != f"{other:.{count}g}" for other in rest)), 17)
    return f"{value:.{count}g}"


def render_report(result_sets: list[ResultSet], out, **options) -> list:
    """The report of ``result_sets`` written into ``out``, analysed and verified first as the command line does."""
    options.setdefault("verification", verified())
    return render(result_sets, analyse(result_sets), out, **options)


def unnamed_drawings(svg: str) -> tuple[int, list[str]]:
    """How many data drawings a figure has (paths, markers and images inside its axes, grid lines aside), and those
    that no SVG <title> names on hover."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}
    count, missing = 0, []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] not in ("path", "use", "image") or "#b0b0b0" in element.get("style", ""):
            continue
        if not element.tag.endswith("}image") and "clip-path" not in element.attrib | parents[element].attrib:
            continue  # outside the axes: ticks, labels, legend (an image is always data: the stability map)
        count += 1
        group = element
        while group is not root and group.find("{http://www.w3.org/2000/svg}title") is None:
            group = parents[group]
        if group is root:
            missing.append(ElementTree.tostring(element)[:160].decode())
    return count, missing
