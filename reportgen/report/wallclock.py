"""The wall-clock figure: time per optimizer step of every method in every experiment, cost against time,
and where the timings were measured (``ResultSet.timings["machine"]``, recorded by the runner)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from reportgen.analysis import ExperimentAnalysis, curves  # noqa: E402
from reportgen.formatting import number  # noqa: E402
from reportgen.report.drawing import TEXT, VARIANT_COLOURS, WIDTH, Figure, finished_figure, hover, line_style, literal, method_name, stack_panels  # noqa: E402
from reportgen.training.results import ResultSet  # noqa: E402


def machine_sentence(result_sets: list[ResultSet]) -> str:
    """Where the timings were measured, as the results record it (``ResultSet.timings["machine"]``)."""
    described = {}
    for result_set in result_sets:
        found = result_set.timings.get("machine") if isinstance(result_set.timings, dict) else None
        if not found or not found.get("cpu"):
            where = (
                f"on a {found.get('executor', 'cluster')} whose machines the results do not name" if found
                else "on a machine the results do not record (they were trained before reportgen recorded it)"
            )
        else:
            at_once = int(found.get("workers", 1))
            where = (
                f"on {found['cpu']} ({found.get('cores', '?')} logical cores), "
                + (f"up to {at_once} runs training at once" if at_once > 1 else "one run at a time")
            )
        described.setdefault(where, []).append(result_set.experiment)
    if len(described) == 1:
        return f"Timed {next(iter(described))}."
    return " ".join(f"{', '.join(names)} timed {where}." for where, names in described.items())


def wallclock_figure(result_sets: list[ResultSet], results: list[ExperimentAnalysis]) -> Figure:
    figure = plt.figure()
    bars, cumulative = figure.add_axes((0.1, 0.55, 0.8, 0.4)), figure.add_axes((0.1, 0.05, 0.8, 0.4))
    width = 0.8 / len(results)
    letters = sorted({row.letter for result in results for row in result.rows})  # experiments may train different methods
    steps = {result_set.experiment: curves.training_steps(result_set)[0] for result_set in result_sets}
    per_step = {}  # (experiment, letter) -> seconds per optimizer step
    for offset, (colour, result, result_set) in enumerate(zip(VARIANT_COLOURS, results, result_sets)):
        batch = result_set.config["training"]["batch_size"]
        count = steps[result.experiment]
        for row in result.rows:
            per_step[result.experiment, row.letter] = row.seconds_per_epoch / count
        positions = [letters.index(row.letter) + offset * width for row in result.rows]
        drawn = bars.bar(positions, [1000 * per_step[result.experiment, row.letter] for row in result.rows], width, color=colour,
                         label=literal(f"{result.experiment}: {count} steps of {batch} image{'s' if batch != 1 else ''} per epoch"))
        for patch, row in zip(drawn.patches, result.rows):
            hover(patch, f"{method_name(row, result.experiment)}: {number(1000 * per_step[result.experiment, row.letter])} ms per step")
    bars.set_xticks(np.arange(len(letters)) + width * (len(results) - 1) / 2, letters)
    bars.set_ylabel("milliseconds per step")
    bars.set_title("Time per optimizer step (mean over epochs and seeds)")
    result_set, result = result_sets[0], results[0]
    median, _, _ = curves.seed_summary(result_set)
    clock, _, _ = curves.seed_summary(result_set, "epoch_seconds")
    for row in result.rows:
        position = result_set.method_index(row.method)
        colour, style = line_style(row.method, row.letter)
        line = cumulative.plot(np.nancumsum(clock[position]), median[position], color=colour, linestyle=style, linewidth=1.5, label=row.letter)[0]
        hover(line, method_name(row, result_set.experiment))
    cumulative.set_yscale("log")
    cumulative.set_xlabel("cumulative seconds of training")
    cumulative.set_ylabel("total cost (log scale)")
    cumulative.set_title(literal(f"Cost against time ({result_set.experiment})"))
    stack_panels(figure, WIDTH, [(bars, 2.4), (cumulative, 2.8)], [{"ncol": 1, "fontsize": TEXT}, {"ncol": 6, "fontsize": TEXT}])
    rows = results[0].rows
    first = results[0].experiment
    slowest = max(rows, key=lambda row: per_step[first, row.letter])
    fastest = min(rows, key=lambda row: per_step[first, row.letter])
    machine = machine_sentence(result_sets)
    alt = (
        f"Bar chart of mean milliseconds per optimizer step per method and experiment, and a line chart of cost against cumulative seconds. "
        f"In {first} the slowest step is {slowest.letter} ({slowest.title}) at {number(1000 * per_step[first, slowest.letter])} ms, "
        f"the fastest {fastest.letter} ({fastest.title}) at {number(1000 * per_step[first, fastest.letter])} ms. {machine}"
    )
    counts = "; ".join(f"{result_set.experiment} {steps[result_set.experiment]} per epoch" for result_set in result_sets)
    caption = (
        "Wall-clock cost of each method. Top: the time of one optimizer step, in milliseconds per step: each epoch's training pass "
        f"(every batch's forward and backward pass and update, not the evaluation after the epoch) divided by its steps ({counts}), "
        f"the mean over epochs and seeds. Bottom: cost reached against the seconds of training spent ({first}). {machine}"
    )
    return finished_figure(figure, "wallclock", "wallclock", "Wall-clock time", alt, caption)
