"""Figures: deterministic bytes, ids unique across the page, alt text, the main figure's legend."""

import dataclasses
import re
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter

import pytest

from fixtures import make_pair

from reportgen import analysis
from reportgen.analysis import curves
from reportgen.report import figures
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


def test_main_figure_png_has_the_geometry_the_resolution_assumes(drawn):
    main = next(figure for figure in drawn if figure.slug == "seed-2018-cost")
    width = int.from_bytes(main.png[16:20], "big")
    height = int.from_bytes(main.png[20:24], "big")
    assert (width, height) == (figures.MAIN_SIZE[0] * figures.DPI, figures.MAIN_SIZE[1] * figures.DPI)
    assert figures.MAIN_AXES[3] * height == pytest.approx(curves.MAIN_PLOT_HEIGHT_PIXELS)


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
