"""The figure cache: reused for the same inputs, redrawn for any change or a damaged file."""

import dataclasses

from fixtures import make_result_set

from reportgen.report import figure_cache
from reportgen.report.drawing import Figure


def counting_draw(calls):
    def draw():
        calls.append(1)
        return [Figure("slug", "cost", "title", "alt", "caption", "<svg/>", b"png", b"pdf")]

    return draw


def test_same_inputs_reuse_and_changes_redraw(tmp_path):
    result_set = make_result_set(epochs=5)
    calls = []
    first = figure_cache.drawn(tmp_path, [result_set], [], None, counting_draw(calls))
    again = figure_cache.drawn(tmp_path, [result_set], [], None, counting_draw(calls))
    assert len(calls) == 1 and again == first

    result_set.arrays["epoch_seconds"] = result_set.arrays["epoch_seconds"] + 1.0  # a retrain with new timings
    figure_cache.drawn(tmp_path, [result_set], [], None, counting_draw(calls))
    figure_cache.drawn(tmp_path, [result_set], [], ["a sweep"], counting_draw(calls))
    assert len(calls) == 3
    assert len(list(tmp_path.glob("figures-*.pickle"))) == 1  # only the latest entry is kept

    # what the figures say beyond the arrays: a new description or analysis redraws
    figure_cache.drawn(tmp_path, [dataclasses.replace(result_set, description="other words")], [], None, counting_draw(calls))
    figure_cache.drawn(tmp_path, [result_set], ["another analysis"], None, counting_draw(calls))
    assert len(calls) == 5


def test_a_damaged_cache_file_is_redrawn(tmp_path):
    result_set = make_result_set(epochs=5)
    calls = []
    figure_cache.drawn(tmp_path, [result_set], [], None, counting_draw(calls))
    (cached,) = tmp_path.glob("figures-*.pickle")
    cached.write_bytes(b"not a pickle")
    figures = figure_cache.drawn(tmp_path, [result_set], [], None, counting_draw(calls))
    assert len(calls) == 2 and figures[0].slug == "slug"
