"""The path figures: every run's path on the contour map and its pure-CSS animation, the distance curves; drawn from
synthetic runs (gradient descent and heavy ball on Rosenbrock, written here)."""

import dataclasses
import re
import xml.etree.ElementTree as ElementTree

import matplotlib.pyplot as plt
import numpy as np
import pytest

from fixtures import unnamed_drawings

from reportgen.report import drawing, path_animation, path_figures
from reportgen.report.path_figures import MethodRuns, distance_figure, surface_figure

SVG = "{http://www.w3.org/2000/svg}"
START, OPTIMUM = (-1.5, 2.0), (1.0, 1.0)
BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))
STEPS = 300


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_gradient(point):
    x, y = point
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def descend(rate: float, momentum: float = 0.0, noise: float = 0.0, seed: int = 0, steps: int = STEPS) -> np.ndarray:
    """Heavy-ball descent (plain at momentum 0) from START with Gaussian gradient noise: the (steps + 1, 2) path."""
    generator = np.random.default_rng(seed)
    point, velocity = np.array(START), np.zeros(2)
    path = [point]
    with np.errstate(over="ignore", invalid="ignore"):  # the diverging runs overflow, as a real one would
        for _ in range(steps):
            velocity = momentum * velocity - rate * (rosenbrock_gradient(point) + noise * generator.standard_normal(2))
            point = point + velocity
            path.append(point)
    return np.array(path)


def method(name: str, letter: str, title: str, runs) -> MethodRuns:
    colour, style = drawing.line_style(name, letter)
    return MethodRuns(letter, title, colour, style, tuple(runs))


def methods(seeds: int = 3) -> list[MethodRuns]:
    """Three methods with noise, several seeds: a solid one, a dashed one (its animation goes through a mask) and one
    whose every run diverges."""
    return [
        method("sgd", "a", "SGD", [descend(1e-3, noise=1.0, seed=seed) for seed in range(seeds)]),
        method("momentum", "b", "Momentum", [descend(2e-4, 0.9, noise=1.0, seed=seed) for seed in range(seeds)]),
        method("adagrad", "d", "Too fast", [descend(0.01, noise=1.0, seed=seed) for seed in range(seeds)]),
    ]


def draw_surface(runs, animate=False, bounds=BOUNDS, problem="rosenbrock") -> drawing.Figure:
    with plt.rc_context(drawing.STYLE):
        return surface_figure(rosenbrock, bounds, runs, START, OPTIMUM, problem=problem, tuning="rates from a test", animate=animate)


@pytest.fixture(scope="module")
def runs():
    return methods()


@pytest.fixture(scope="module")
def static(runs):
    return draw_surface(runs)


@pytest.fixture(scope="module")
def moving(runs):
    return draw_surface(runs, animate=True)


def titled_paths(svg: str) -> dict[str, ElementTree.Element]:
    """Each hover title and the first path element under it."""
    root = ElementTree.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        title, path = group.find(f"{SVG}title"), group.find(f"{SVG}path")
        if title is not None and path is not None:
            found[title.text] = path
    return found


def run_title(runs: MethodRuns, run: int) -> str:
    bold = path_figures._median_run(runs.runs, np.array(OPTIMUM))
    return runs.name(run) + (" (median run)" if run == bold else "")


def test_every_run_is_one_path_in_its_methods_colour_with_start_and_optimum_marked(runs, static):
    paths = titled_paths(static.svg)
    for method_runs in runs:
        for run in range(len(method_runs.runs)):
            path = paths[run_title(method_runs, run)]
            assert f"stroke: {method_runs.colour.lower()}" in path.get("style")
            assert path.get("d").count("M") == 1  # one piece, which the animation needs
    drawn_runs = [title for title in paths if ", run " in title and "diverged" not in title]
    assert len(drawn_runs) == sum(len(method_runs.runs) for method_runs in runs)
    root = ElementTree.fromstring(static.svg)
    titles = [title.text for title in root.iter(f"{SVG}title")]
    assert "start (-1.5, 2)" in titles and "optimum (1, 1)" in titles
    legend = re.findall(r"<!-- (.*?) -->", static.svg)
    assert {"start (-1.5, 2)", "optimum (1, 1)", "a  SGD", "b  Momentum", "d  Too fast", "diverged (NaN or inf)"} <= set(legend)
    count, unnamed = unnamed_drawings(static.svg)
    assert count and unnamed == []


def test_a_diverged_run_is_cut_at_its_last_finite_point_and_marked(runs, static):
    steps = [path_figures._finite_steps(run) for run in runs[2].runs]
    assert max(steps) < STEPS  # the runs do diverge, to NaN, inside the budget
    root = ElementTree.fromstring(static.svg)
    titles = [title.text for title in root.iter(f"{SVG}title")]
    for run, step in enumerate(steps):
        assert f"d. Too fast, run {run + 1} of 3: diverged (NaN or inf) at step {step}" in titles
        assert f"d run {run + 1} at step {step}" in static.caption and f"d run {run + 1} at step {step}" in static.alt
    assert "Paths cut at the map's edge: d." in static.caption
    assert "d diverged" in static.alt


def test_a_run_nan_from_its_second_point_draws_only_its_cross_and_a_still_one_is_not_animated():
    broken = np.array([START, [np.nan, np.nan], [np.inf, 0.0]])
    still = descend(0.0, steps=2)
    figure = draw_surface([method("sgd", "a", "SGD", [broken, descend(1e-3, steps=2)]), method("momentum", "b", "Still", [still])],
                          animate=True, problem="2-D rosenbrock")
    titles = [title.text for title in ElementTree.fromstring(figure.svg).iter(f"{SVG}title")]
    assert "a. SGD, run 1 of 2: diverged (NaN or inf) at step 1" in titles
    assert not any(title.startswith("a. SGD, run 1 of 2") and "diverged" not in title for title in titles)
    paths = titled_paths(figure.svg)
    assert paths["a. SGD, run 2 of 2 (median run)"].get("pathLength") == "1" and paths["b. Still, run 1 of 1"].get("pathLength") is None
    # a slug that starts with a digit is no #id selector nor keyframes name
    assert figure.slug == "2-D-rosenbrock-paths" and '[id="2-D-rosenbrock-paths"] .t0{animation-name:trace-2-D-rosenbrock-paths-0}' in figure.svg


def test_the_map_keeps_equal_aspect_and_the_legend_fits_a_phone_with_many_methods(monkeypatch):
    kept = {}
    original = path_figures.finished_figure

    def keep(figure, *arguments):
        kept["figure"] = figure
        return original(figure, *arguments)

    monkeypatch.setattr(path_figures, "finished_figure", keep)
    many = [method(name, letter, f"rate {rate:g}", [descend(rate, steps=40)])
            for (name, letter), rate in zip([("sgd", "a"), ("momentum", "b"), ("nesterov", "c")] + [(f"later-{letter}", letter) for letter in "mnopqrstuvw"],
                                            np.geomspace(1e-4, 1.5e-3, 14))]
    drawn = draw_surface(many, bounds=((-2.0, 2.0), (0.5, 2.5)))  # twice as wide as tall
    figure = kept["figure"]
    (axes,) = figure.axes
    box = axes.get_window_extent()
    assert box.width / box.height == pytest.approx(2.0, rel=1e-3)
    legend = axes.get_legend()
    assert legend.get_window_extent().x1 <= figure.bbox.x1 + 0.5
    for text in legend.get_texts():
        assert drawing.phone_pixels(text.get_fontsize(), figure.get_figwidth()) >= drawing.PHONE_TEXT_PIXELS
    labels = re.findall(r"<!-- (.*?) -->", drawn.svg)
    assert all(f"{runs.letter}  {runs.title}" in labels for runs in many)
    assert "one run each" in drawn.caption and "median run" not in " ".join(labels)


def test_contour_levels_are_half_decades_within_the_decades_stated():
    xs, ys = np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1, 3, 50))
    heights = rosenbrock(xs, ys)
    levels = path_figures.contour_levels(heights)
    assert np.allclose(levels[1:] / levels[:-1], np.sqrt(10))
    assert np.allclose(np.log10(levels) * 2, np.round(np.log10(levels) * 2))
    assert heights.max() / np.sqrt(10) < levels[-1] <= heights.max()
    assert levels[0] >= heights.max() / 10**path_figures.LEVEL_DECADES
    assert len(levels) == 2 * path_figures.LEVEL_DECADES or levels[0] >= heights[heights > 0].min()


def keyframes(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Each trace's keyframes: its index (as text) -> (percent, dash offset) pairs."""
    style = re.search(r'<style type="text/css">(@media.*?)</style>', svg, re.S).group(1)
    return {
        name: [(float(time), float(offset)) for time, offset in re.findall(r"([\d.]+)%\{stroke-dashoffset:([\d.]+)\}", frames)]
        for name, frames in re.findall(r"@keyframes trace-[\w-]+-(\d+)\{(.*?\})\}", style)
    }


def test_the_animation_draws_every_path_over_the_steps_and_ends_on_the_static_picture(runs, static, moving):
    root = ElementTree.fromstring(moving.svg)
    style = "".join(element.text for element in root.iter(f"{SVG}style"))
    assert "@media screen and (prefers-reduced-motion:no-preference)" in style  # nothing moves in print or with reduced motion
    assert f'[id="{moving.slug}"] .trace{{stroke-dasharray:1 2;animation:8s linear both}}' in style
    traces = [element for element in root.iter(f"{SVG}path") if "trace" in element.get("class", "")]
    assert len(traces) == sum(len(method_runs.runs) for method_runs in runs)
    assert all(element.get("pathLength") == "1" for element in traces)
    frames = keyframes(moving.svg)
    assert {f"t{index}" for index in frames} == {element.get("class").split()[1] for element in traces}
    for frame in frames.values():
        assert frame[0] == (0.0, 1.0) and frame[-1][1] == 0.0  # from nothing to the whole path
        assert all(earlier[0] < later[0] and earlier[1] >= later[1] for earlier, later in zip(frame, frame[1:]))
    dashed = root.findall(f".//{SVG}mask/{SVG}path")  # b's dashes are kept: it is revealed through a solid copy
    assert len(dashed) == 3 and all("stroke:#ffffff" in element.get("style") for element in dashed)
    assert all(f"stroke: {runs[1].colour.lower()}" in titled_paths(moving.svg)[run_title(runs[1], run)].get("style") for run in range(3))
    undone = re.sub(r'<mask id="[^"]+" maskUnits="userSpaceOnUse">.*?</mask>|<style type="text/css">@media.*?</style>\n', "", moving.svg, flags=re.S)
    undone = re.sub(r' class="trace t\d+" pathLength="1"| mask="url\(#[^)]+\)"', "", undone)
    assert undone == static.svg  # the animation adds to the static picture and changes nothing in it
    assert moving.png == static.png and moving.pdf == static.pdf
    assert "@keyframes" not in static.svg and "pathLength" not in static.svg


def test_the_clock_is_the_step_count(runs, moving):
    """A run that diverges at step s has all its drawn length by s - 1 of the budget; the others use the whole time."""
    frames = keyframes(moving.svg)
    order = [(method_runs, run) for method_runs in runs for run in range(len(method_runs.runs))]
    for index, (method_runs, run) in enumerate(order):
        last = path_figures._finite_steps(method_runs.runs[run]) - 1
        assert frames[str(index)][-1][0] == pytest.approx(100 * last / STEPS, abs=1e-3)


def test_keyframes_follow_the_share_of_length_drawn_by_each_step():
    lengths = np.array([0.0, 5.0, 9.0, 10.0, 10.0, 10.0])  # fast, then slower, then still
    frames = path_animation._keyframes(lengths, budget=20)  # the run ends at a quarter of the time
    assert frames == [(0.0, 1.0), (5.0, 0.5), (10.0, pytest.approx(0.1)), (15.0, 0.0), (25.0, 0.0)]


def test_a_path_that_leaves_the_map_stays_one_piece_round_its_frame():
    box = path_animation.widened(((0.0, 1.0), (0.0, 1.0)))
    points = np.array([[0.5, 0.5], [0.5, 3.0], [3.0, 3.0], [3.0, 0.2], [0.5, 0.2], [-2.0, -5.0], [0.4, 0.6]])
    vertices, lengths = path_animation.framed(points, box)
    low, high = np.array(box[::2]), np.array(box[1::2])
    assert np.all(vertices >= low - 1e-12) and np.all(vertices <= high + 1e-12)

    def on_frame(vertex) -> bool:
        return bool(np.isclose(vertex, low).any() or np.isclose(vertex, high).any())

    inside = [point for point in points if np.all(point > low) and np.all(point < high)]
    assert all(any(np.allclose(vertex, point) for vertex in vertices) for point in inside)
    assert all(on_frame(vertex) or any(np.allclose(vertex, point) for point in inside) for vertex in vertices)
    for first, second in zip(vertices[:-1], vertices[1:]):  # a move between two frame points runs along an edge, never across the map
        if on_frame(first) and on_frame(second):
            assert np.isclose(first, second).any()
    steps = np.hypot(*np.diff(vertices, axis=0).T)
    assert lengths[-1] == pytest.approx(steps.sum()) and np.all(np.diff(lengths) >= 0) and len(lengths) == len(points)
    inner = np.array([[0.2, 0.2], [0.3, 0.6], [0.8, 0.7]])
    vertices, lengths = path_animation.framed(inner, box)
    assert np.array_equal(vertices, inner) and np.allclose(lengths, [0, np.hypot(0.1, 0.4), np.hypot(0.1, 0.4) + np.hypot(0.5, 0.1)])


def test_the_same_runs_give_the_same_bytes(runs, moving):
    again = draw_surface(runs, animate=True)
    assert (again.svg, again.png, again.pdf) == (moving.svg, moving.png, moving.pdf)


def distances(runs: list[MethodRuns]) -> list[MethodRuns]:
    return [MethodRuns(m.letter, m.title, m.colour, m.linestyle, tuple(np.hypot(*(run - OPTIMUM).T) for run in m.runs)) for m in runs]


def test_distance_curves_have_a_median_band_and_crosses_on_a_log_axis(runs):
    with plt.rc_context(drawing.STYLE):
        first, second = (distance_figure(distances(runs), problem="rosenbrock", tuning="rates from a test") for _ in range(2))
    assert (first.svg, first.png, first.pdf) == (second.svg, second.png, second.pdf)
    titles = [title.text for title in ElementTree.fromstring(first.svg).iter(f"{SVG}title")]
    for method_runs in runs:
        assert f"{method_runs.letter}. {method_runs.title}: median over 3 runs" in titles
        assert f"{method_runs.letter}. {method_runs.title}: min\u2013max over 3 runs" in titles
    for run in runs[2].runs:
        assert any(title.endswith(f"diverged (NaN or inf) at step {path_figures._finite_steps(run)}") for title in titles)
    assert "d diverged" in first.alt and "a 2." in first.alt  # SGD creeps along the valley: about 2 from the optimum still
    count, unnamed = unnamed_drawings(first.svg)
    assert count and unnamed == []


def test_runs_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="equal step budget"):
        draw_surface([method("sgd", "a", "SGD", [descend(1e-3, steps=10), descend(1e-3, steps=12)])])


def test_a_diverged_runs_cross_sits_where_it_was_last_seen():
    bounds = ((-1.0, 1.0), (-1.0, 1.0))
    left = np.array([[0.0, 0.0], [0.5, 0.5], [3.0, 0.5], [40.0, -9.0]])
    assert np.allclose(path_animation.last_seen(left, bounds), [1.0, 0.5])  # where it left, not the edge nearest its last point
    assert np.allclose(path_animation.last_seen(left[:2], bounds), [0.5, 0.5])
    assert np.allclose(path_animation.last_seen(np.array([[5.0, 5.0], [6.0, 0.5]]), bounds), [1.0, 0.5])  # never on the map


def test_moves_shorter_than_half_a_pixel_are_not_drawn():
    points = np.column_stack([np.arange(11) * 0.1, np.zeros(11)])
    assert np.flatnonzero(path_animation.thinned(points, 0.25)).tolist() == [0, 3, 6, 9, 10]
    assert path_animation.thinned(points, 0.05).all()


def test_the_suite_presets_methods_with_their_own_titles_fit_the_legends():
    """The suite's ten methods under their real titles ("c  Nesterov accelerated gradient"), several runs each, and
    every legend entry the maps and curves add: each legend fits the page's figure width."""
    from reportgen import config
    from reportgen.training import methods as method_entries

    specs = config.load_preset_all("suite")[0].methods
    titled = [method(spec.name, spec.letter, method_entries.info(spec).title, [descend(1e-3, seed=seed, steps=40) for seed in range(3)]) for spec in specs]
    assert len(titled) == 10 and any(len(m.title) > 25 for m in titled)
    draw_surface(titled)  # stack_panels raises on a legend wider than the figure
    distances = [dataclasses.replace(m, runs=tuple(np.linalg.norm(run - np.array(OPTIMUM), axis=1) for run in m.runs)) for m in titled]
    with plt.rc_context(drawing.STYLE):
        distance_figure(distances, problem="rosenbrock", tuning="tuned")
