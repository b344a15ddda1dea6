"""Every kind of method entry in a built report: later built-ins, aliases with schedules and a plugin each get their
update equation, derivation and code once, whole; the scheduled ones their schedule in the hyperparameter tables, in
metrics.csv/json and in a figure of their learning rate beside their cost, whose numbers are recomputed here from
the report's own data files."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape

from fixtures import build_report, digits, unnamed_drawings

from reportgen import config
from reportgen.analysis.curves import MAIN_PLOT_HEIGHT_PIXELS
from reportgen.optimizers import schedules
from reportgen.report import equations, methods as report_methods
from reportgen.report.equations import escape_markdown
from reportgen.training import methods
from reportgen.verification.parity import describe_schedule

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cautious_adam.py"
CONFIG = f"""
name = "entries"
variant = "textbook"
[data]
n_train = 8
n_test = 4
[network]
hidden = [6, 3]
[training]
epochs = 3
batch_size = 2
seeds = [678, 1]
record_timings = false
[methods.lion]
lr = 0.001
[methods.schedule_free_adamw]
lr = 0.01
[methods.muon]
lr = 0.02
[methods.adamw_cosine]
method = "adamw"
title = "AdamW, warm-up + cosine"
lr = 0.01
schedule = {{ kind = "warmup_cosine", warmup_steps = 3, T_max = 9 }}
[methods.cycled]
method = "momentum"
lr = 0.05
schedule = {{ kind = "onecycle", total_steps = 12 }}
[methods.cautious]
plugin = "{EXAMPLE.as_posix()}:cautious_adam"
lr = 0.01
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_report(tmp_path_factory, "entries", CONFIG)


@pytest.fixture(scope="module")
def pages(built):
    return (built / "index.html").read_text(encoding="utf-8"), (built / "report.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def recorded(built):
    """The experiment as metrics.json records it."""
    return json.loads((built / "data" / "metrics.json").read_text(encoding="utf-8"))["experiments"][0]


def test_the_title_and_lede_count_and_letter_the_entries(pages, recorded):
    letters = [method["letter"] for method in recorded["methods"]]
    assert letters == ["s", "u", "v", "w", "x", "y"]  # built-ins keep their letters, the experiment's own entries follow
    for page in pages:
        assert "Six gradient-descent optimizers on a small NumPy network" in page
        assert f"Six update rules, {', '.join(letters)}, trained on the same 784-6-3-1 network" in page
        assert "Twelve" not in page and "a to l" not in page


def test_each_method_shows_its_equation_derivation_and_code_once_whole(built, pages):
    page, markdown = pages
    shown = {}
    for spec in config.load(built.parent / "entries.toml").methods:
        shown.setdefault(spec.runs, spec)  # an alias of a method shown already adds no section
    assert len(shown) == 6
    for spec in shown.values():
        info = methods.info(spec)
        equation = equations.equation(info.equation)
        derivation = report_methods.derivation_of(spec.name, methods.plugin_declaration(spec).derivation) if spec.plugin else report_methods.derivation(spec.runs)
        builder = info.code[0].source
        assert page.count(equation.mathml) == 1 and markdown.count(equation.latex) == 1, spec.name
        assert page.count(derivation.html) == 1 and markdown.count(derivation.markdown) == 1, spec.name
        assert page.count(str(escape(builder))) == 1 and markdown.count(builder) == 1, spec.name
        assert "merror" not in equation.mathml + derivation.html, spec.name


def test_metrics_record_each_methods_schedule(built, recorded):
    scheduled = {method["name"]: method["schedule"] for method in recorded["methods"]}
    assert scheduled["adamw_cosine"] == {"kind": "warmup_cosine", "warmup_steps": 3, "start_factor": 1 / 3, "T_max": 9, "eta_min": 0.0}
    assert scheduled["cycled"]["max_lr"] is None and scheduled["lion"] is None  # onecycle's peak follows the lr
    with open(built / "data" / "metrics.csv", newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            planned = scheduled[row["method"]]
            assert row["schedule"] == ("" if planned is None else json.dumps(planned, separators=(",", ":")))


def test_the_hyperparameter_tables_state_each_schedule_in_words(pages, recorded):
    page, markdown = pages
    cosine, cycled = (next(m["schedule"] for m in recorded["methods"] if m["name"] == name) for name in ("adamw_cosine", "cycled"))
    assert f"<strong>schedule</strong> {describe_schedule(cosine)}" in page and f"**schedule** {escape_markdown(describe_schedule(cosine))}" in markdown
    words = describe_schedule({**cycled, "max_lr": "the method's lr"})
    assert words.startswith("onecycle (max_lr = the method's lr, total_steps = 12")
    cycling = "; it cycles momentum between base_momentum and max_momentum in place of the method's own momentum"
    assert f"<strong>schedule</strong> {escape(words + cycling)}" in page and f"**schedule** {escape_markdown(words + cycling)}" in markdown
    assert page.count("<strong>schedule</strong>") == 2


def test_the_schedule_figure_sits_after_the_cost_figure_and_its_numbers_come_from_the_data(built, pages, recorded):
    page, markdown = pages
    slug = "entries-schedules"
    assert all((built / folder / f"{slug}.{kind}").stat().st_size > 0 for folder, kind in (("figures", "svg"), ("figures", "png"), ("figures", "pdf"), ("paper", "pdf")))
    assert page.index('id="figure-entries-cost"') < page.index(f'id="figure-{slug}"') < page.index('id="figure-entries-cost-log"')
    assert f"figures/{slug}.png" in markdown
    svg = (built / "figures" / f"{slug}.svg").read_text(encoding="utf-8")
    count, missing = unnamed_drawings(svg)
    assert count and missing == []
    config = recorded["config"]
    per_epoch = -(-config["data"]["n_train"] // config["training"]["batch_size"])
    updates = per_epoch * config["training"]["epochs"]
    figure = page[page.index(f'id="figure-{slug}"'):]
    alt, caption = html.unescape(re.search(r'aria-label="([^"]*)"', figure).group(1)), html.unescape(figure[figure.index("<figcaption"):figure.index("</figcaption>")])
    assert f"update n of the {per_epoch} per epoch is drawn at n / {per_epoch}" in caption
    assert "momentum or beta1 that onecycle cycles" in caption  # cycled has momentum to cycle
    for method in recorded["methods"]:
        if method["schedule"]:
            lr = schedules.values(method["schedule"], method["hyperparams"], updates)["lr"]
            peak = int(lr.argmax())
            stated = f"{method['letter']}: {method['schedule']['kind']}, learning rate from {digits(lr[0])} up to {digits(lr[peak])} at update {peak + 1}, ending at {digits(lr[-1])}"
            assert stated in alt
    assert alt.startswith("2 rows of two line charts")


def test_the_methods_no_library_checks_are_named_in_the_verification(pages, recorded):
    """The plugin has no recorded trajectories; every built-in here has, under its own name or an alias's."""
    letters = {method["name"]: method["letter"] for method in recorded["methods"]}
    for page in pages:
        start = page.index("without a library's trajectories")
        sentence = page[start : page.index("No library ships them", start)]
        assert f"{letters['cautious']} (Cautious Adam)" in sentence
        assert not any(f"{letters[name]} (" in sentence for name in ("lion", "schedule_free_adamw", "muon", "adamw_cosine", "cycled"))
    equations_section = pages[0].split('id="update-equations"')[1].split('id="cost-plots"')[0]
    assert "seed-2018" not in equations_section and "<h4" in equations_section  # a textbook-only report shows no 2018 rule


def test_the_main_figure_of_methods_that_all_descend_is_on_a_log_scale_whose_pixel_the_caption_states(built, pages):
    """No gradient-free method here: one log panel holding every seed's positive cost, over at most 16 decades."""
    with open(built / "data" / "metrics.csv", newline="") as stream:
        costs = np.array([float(row["train_cost_logged"]) for row in csv.DictReader(stream)])
    positive = costs[np.isfinite(costs) & (costs > 0)]
    high = np.log10(positive.max())
    low = max(np.log10(positive.min()), high - 16)
    span = high - low
    factor = 10 ** ((span * 1.1) / MAIN_PLOT_HEIGHT_PIXELS)  # 5% of the decades added each side
    for page in pages:
        assert f"one pixel (a hundredth of an inch) of this plot is a factor of {digits(factor)} in cost" in page
