"""Figures: deterministic bytes, ids unique across the page, alt text, the main figure's legend."""

import dataclasses
import html
import re
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter

import numpy as np
import pytest

from fixtures import make_pair, unnamed_drawings

from reportgen import analysis
from reportgen.analysis import curves
from reportgen.formatting import number
from reportgen.report import drawing, figures, overlap_figures, wallclock
from reportgen.training import executors


def inputs():
    result_sets = list(make_pair(epochs=20))
    return result_sets, [analysis.analyse_experiment(result_set) for result_set in result_sets]


def draw(pool=None):
    started = time.perf_counter()
    drawn = figures.draw_all(*inputs(), pool)
    print(f"draw_all: {len(drawn)} figures in {time.perf_counter() - started:.1f} s")
    return drawn


@pytest.fixture(scope="module")
def drawn():
    with executors.create("process", 2) as pool:  # as a build draws them
        return draw(pool)


@pytest.mark.slow  # draws every figure a second time
def test_same_results_give_the_same_bytes(drawn):
    again = draw(executors.InProcessExecutor())
    assert [figure.slug for figure in again] == [figure.slug for figure in drawn]
    for first, second in zip(drawn, again):
        assert first.svg == second.svg, first.slug
        assert first.png == second.png, first.slug
        assert first.pdf == second.pdf, first.slug


def test_svg_ids_are_unique_across_the_page_and_references_resolve(drawn):
    ids = Counter()
    for figure in drawn:
        assert figure.svg.startswith("<svg"), figure.slug  # no XML declaration or doctype: inlinable
        root = ElementTree.fromstring(figure.svg)
        own = [element.get("id") for element in root.iter() if element.get("id")]
        assert all(identifier.startswith(figure.slug) for identifier in own)
        ids.update(own)
        references = re.findall(r'href="#([^"]+)"', figure.svg) + re.findall(r"url\(#([^)]+)\)", figure.svg)
        assert references and set(references) <= set(own), figure.slug
    assert [identifier for identifier, count in ids.items() if count > 1] == []


def test_every_figure_has_alt_text_with_numbers_and_a_caption(drawn):
    assert len({figure.slug for figure in drawn}) == len(drawn)
    for figure in drawn:
        assert figure.section in ("setup", "cost", "accuracy", "wallclock", "overlap", "sweep")
        assert figure.title and figure.caption, figure.slug
        assert re.search(r"\d", figure.alt), figure.slug


def test_main_figure_legend_names_every_method_by_letter(drawn):
    main = next(figure for figure in drawn if figure.slug == "seed-2018-cost")
    texts = re.findall(r"<!-- (.*?) -->", main.svg)  # glyphs are paths; matplotlib keeps each string as a comment
    assert "Total Cost per Training" in texts
    for letter in "abcdefghijkl":
        assert any(text.startswith(f"{letter}  ") for text in texts), letter
    assert "red star" in main.alt.lower() and "epoch" in main.caption


@pytest.fixture(scope="module")
def kept():
    """Every figure drawn in this process, its matplotlib figure kept: slug -> (Figure, matplotlib figure)."""
    found = {}
    original = figures.finished_figure

    def keep(figure, slug, *arguments):
        drawn = original(figure, slug, *arguments)
        found[slug] = (drawn, figure)
        return drawn

    with pytest.MonkeyPatch.context() as patch:
        for module in (figures, overlap_figures, wallclock):
            patch.setattr(module, "finished_figure", keep)
        result_sets, analyses = inputs()
        for function in (figures.main_cost_figure, figures.overlap_matrix_figure):
            for pair in zip(result_sets, analyses):
                function(*pair)
        for function in (figures.log_cost_figure, figures.overlap_figure):
            function(result_sets[1], analyses[1])
        for function in (figures.small_multiples_figure, figures.accuracy_figure, figures.wallclock_figure):
            function(result_sets, analyses)
    return found


def _plot_axes(figure):
    return [axes for axes in figure.axes if axes.get_label() != "<colorbar>"]


def test_main_figure_panels_have_the_geometry_the_resolution_assumes(kept):
    result_sets, _ = inputs()
    for result_set in result_sets:
        _, figure = kept[f"{result_set.experiment}-cost"]
        panels = curves.main_panels(result_set)
        assert len(_plot_axes(figure)) == len(panels)
        for axes, panel in zip(_plot_axes(figure), panels):
            assert axes.get_window_extent().height * figures.DPI / figure.dpi == pytest.approx(panel.height)
            assert axes.get_ylim() == pytest.approx((panel.low, panel.high))
            assert axes.get_yscale() == ("log" if panel.log else "linear")
            assert {line.get_label().split()[0] for line in axes.get_lines() if not line.get_label().startswith("_")} == {
                spec.letter for spec in result_set.methods if spec.name in panel.methods
            }
    replica, textbook = (curves.main_panels(result_set) for result_set in result_sets)
    assert len(replica) == 1 and replica[0].height == curves.MAIN_PLOT_HEIGHT_PIXELS  # the 2018 figure as the claims measure it
    assert [panel.log for panel in textbook] == [True, False] and textbook[1].methods == ("noise_training", "noise_gaussian", "adam_noise")


def test_the_textbook_cost_axes_contain_every_band_and_line(kept):
    _, figure = kept["textbook-cost"]
    for axes in _plot_axes(figure):
        low, high = axes.get_ylim()
        bands = [collection for collection in axes.collections if len(collection.get_paths())]
        assert bands  # six seeds: every method has a band
        for band in bands:
            heights = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
            assert low <= heights.min() and heights.max() <= high
        for line in axes.get_lines():
            heights = np.asarray(line.get_ydata(), dtype=float)
            heights = heights[np.isfinite(heights)]
            assert heights.size == 0 or (low <= heights.min() and heights.max() <= high)
    texts = re.findall(r"<!-- (.*?) -->", kept["textbook-cost"][0].svg)
    assert any("band: min\u2013max over 3 seeds" in text for text in texts)  # the legend says what a band is


def test_every_curve_band_and_marker_of_the_cost_figures_is_named_on_hover(drawn):
    result_sets, analyses = inputs()
    for result_set, result in zip(result_sets, analyses):
        figure = next(figure for figure in drawn if figure.slug == f"{result_set.experiment}-cost")
        count, unnamed = unnamed_drawings(figure.svg)
        assert count and unnamed == [], unnamed[:3]
        root = ElementTree.fromstring(figure.svg)
        titles = [title.text for title in root.iter("{http://www.w3.org/2000/svg}title")]
        for row in result.rows:
            assert f"{row.letter}. {row.title} ({result_set.experiment})" in " ".join(titles), row.letter
        for marker in result.markers:
            assert marker.caption in titles


def test_pngs_are_at_least_200_dpi(drawn):
    for figure in drawn:
        chunk = figure.png.index(b"pHYs")
        x, y, unit = int.from_bytes(figure.png[chunk + 4 : chunk + 8], "big"), int.from_bytes(figure.png[chunk + 8 : chunk + 12], "big"), figure.png[chunk + 12]
        assert unit == 1 and min(x, y) * 0.0254 >= 199.9, figure.slug  # pixels per metre


def test_legends_stay_readable_on_a_phone(kept):
    for slug, (_, figure) in kept.items():
        width = figure.get_figwidth()
        legends = [axes.get_legend() for axes in figure.axes if axes.get_legend()] + list(figure.legends)
        for legend in legends:
            for text in legend.get_texts():
                assert drawing.phone_pixels(text.get_fontsize(), width) >= drawing.PHONE_TEXT_PIXELS, (slug, text.get_text())
            assert legend.get_window_extent().x1 <= figure.bbox.x1 + 0.5, slug  # within the figure


def test_the_overlap_matrix_prints_every_cell_and_marks_the_line_width(kept):
    _, analyses = inputs()
    for result in analyses:
        figure, drawn = kept[f"{result.experiment}-overlap-matrix"]
        texts = [html.unescape(text) for text in re.findall(r"<!-- (.*?) -->", figure.svg)]
        matrix = result.overlap_matrix
        for i in range(len(matrix)):
            for j in range(len(matrix)):
                if i != j:
                    assert (overlap_figures._cell_text(matrix[i, j]) if np.isfinite(matrix[i, j]) else "\u2013") in texts
        (colourbar,) = drawn.axes[0].child_axes  # an inset, as tall as the matrix
        assert any(line.get_ydata()[0] == pytest.approx(curves.LINE_WIDTH_PIXELS) for line in colourbar.get_lines())
        assert any(text.startswith("line width") for text in texts)
        cells = [text for text in _plot_axes(drawn)[0].texts]
        colours = {text.get_color() for text in cells}
        assert colours <= {"white", "black"}


def test_the_wallclock_figure_shows_time_per_step_and_names_the_machine():
    result_sets, analyses = inputs()
    figure = figures.wallclock_figure(result_sets, analyses)
    assert "milliseconds per step" in figure.caption and "divided by its steps (seed-2018 50 per epoch; textbook 50 per epoch)" in figure.caption
    assert "a machine the results do not record" in figure.caption
    where = {"cpu": "Example CPU @ 2.0GHz", "cores": 2, "executor": "process pool", "workers": 2}
    timed = [dataclasses.replace(result_set, timings={"train_seconds": 1.0, "machine": where}) for result_set in result_sets]
    figure = figures.wallclock_figure(timed, analyses)
    assert "Timed on Example CPU @ 2.0GHz (2 logical cores), up to 2 runs training at once." in figure.caption
    assert "Timed on Example CPU" in figure.alt
    seconds = result_sets[0].metric("epoch_seconds")[result_sets[0].method_index("sgd")]
    per_step = 1000 * np.nanmean(seconds) / curves.training_steps(result_sets[0])[0]
    assert f"at {number(per_step)} ms" in figure.alt or "the fastest a (" not in figure.alt


def test_figures_stay_within_the_page_budget(drawn):
    assert sum(len(figure.svg) for figure in drawn) < 1_500_000


@pytest.mark.slow  # draws every figure again, in this process
def test_figures_drawn_on_a_pool_are_the_same_figures_in_the_same_order(drawn):
    alone = draw()
    assert [figure.slug for figure in alone] == [figure.slug for figure in drawn]
    assert [(figure.svg, figure.png, figure.pdf) for figure in alone] == [(figure.svg, figure.png, figure.pdf) for figure in drawn]


def test_the_wallclock_bars_take_experiments_with_different_methods():
    result_sets, analyses = inputs()
    fewer = dataclasses.replace(analyses[1], rows=[row for row in analyses[1].rows if row.letter in "abcdefgh"])
    figure = figures.wallclock_figure(result_sets, [analyses[0], fewer])  # used to fail: bars of 12 and 8 on 12 positions
    labels = re.findall(r"<!-- ([^>]{1,20}) -->", figure.svg)  # matplotlib names each text it draws
    assert labels[:12] == list("abcdefghijkl")  # one tick per method of either experiment
