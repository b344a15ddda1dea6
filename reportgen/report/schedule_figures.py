"""The learning-rate schedules of an experiment: each scheduled method's median cost beside its learning rate (and,
for onecycle, the momentum or beta1 it cycles), both over epochs, so a kink in the cost lines up with the schedule's."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from reportgen.analysis import ExperimentAnalysis, curves  # noqa: E402
from reportgen.formatting import number  # noqa: E402
from reportgen.optimizers import schedules  # noqa: E402
from reportgen.report.drawing import (  # noqa: E402
    TEXT, WIDTH, Figure, epoch_numbers, figure_slug, finished_figure, hover, legend_below, line_style, literal, method_name,
)
from reportgen.training.results import MethodSpec, ResultSet  # noqa: E402
from reportgen.verification.parity import describe_schedule  # noqa: E402



def scheduled(result_set: ResultSet) -> list[MethodSpec]:
    """The experiment's methods that have a learning-rate schedule, in its order."""
    return [spec for spec in result_set.methods if spec.schedule]


def timeline(result_set: ResultSet, spec: MethodSpec) -> dict[str, np.ndarray]:
    """The scheduled hyperparameters of every update of a run (``schedules.values``): lr, and what onecycle cycles."""
    return schedules.values(spec.schedule, spec.hyperparams, curves.training_steps(result_set)[1])


def describe(spec: MethodSpec) -> str:
    """The schedule in words for the hyperparameter table: "cosine (T_max = 60, eta_min = 0.001)", onecycle's unset max_lr
    as the lr it follows, and what its momentum cycling replaces."""
    shown = {**spec.schedule, "max_lr": "the method's lr"} if spec.schedule.get("max_lr", 0) is None else spec.schedule
    words = describe_schedule(shown)
    cycled = schedules.cycled_hyperparameter(spec.hyperparams) if spec.schedule.get("cycle_momentum") else None
    if cycled is not None:
        own = "momentum" if cycled == "momentum" else "betas[0]"
        words += f"; it cycles {own} between base_momentum and max_momentum in place of the method's own {own}"
    return words


def extent(lr: np.ndarray) -> str:
    """"from 0.0004 up to 0.01 at update 4, ending at 1e-06": the first, the largest (where it first is) and the last lr."""
    peak = int(np.argmax(lr))
    return f"from {number(lr[0])} up to {number(lr[peak])} at update {peak + 1}, ending at {number(lr[-1])}"


def schedule_figure(result_set: ResultSet, result: ExperimentAnalysis) -> Figure:
    """One row per scheduled method: its median cost per epoch (left) and its learning rate per update (right),
    both against epochs: update n of S per epoch sits at n / S, so the end of epoch e is at e on both sides."""
    specs = scheduled(result_set)
    rows = {row.method: row for row in result.rows}
    per_epoch, _ = curves.training_steps(result_set)
    median, low, high = curves.seed_summary(result_set)
    epochs = epoch_numbers(result_set)
    figure, grid = plt.subplots(len(specs), 2, figsize=(WIDTH, 2.2 * len(specs)), sharex=True, squeeze=False)
    banded = len(result_set.seeds) > 1
    described, cycled_any = [], False
    for (cost_axes, lr_axes), spec in zip(grid, specs):
        row, position = rows[spec.name], result_set.method_index(spec.name)
        colour, style = line_style(spec.name, spec.letter)
        name = method_name(row, result_set.experiment)
        hover(cost_axes.plot(epochs, median[position], color=colour, linestyle=style, linewidth=1.5)[0], f"{name}: median cost over seeds" if banded else f"{name}: cost")
        if banded:
            hover(cost_axes.fill_between(epochs, low[position], high[position], facecolor=to_rgba(colour, 0.15), linewidth=0), f"{name}: min\u2013max over seeds")
        cost_axes.set_title(literal(f"{row.letter}  {row.title}"), fontsize=TEXT, loc="left")
        if (high[position] > 0).all():  # as the main figure: a log scale shows how far the cost falls
            cost_axes.set_yscale("log")
        cost_axes.set_ylabel("total cost (log scale)" if cost_axes.get_yscale() == "log" else "total cost")
        values = timeline(result_set, spec)
        updates = np.arange(1, len(values["lr"]) + 1) / per_epoch
        hover(lr_axes.plot(updates, values["lr"], color=colour, linewidth=1.5)[0], f"{name}: learning rate per update, {describe(spec)}")
        lr_axes.set_title(literal(spec.schedule["kind"]), fontsize=TEXT, loc="left")
        lr_axes.set_ylabel("learning rate")
        lr_axes.set_ylim(bottom=0)
        cycled = [series for series in values if series != "lr"]
        for series in cycled:  # on its own axis: its range (0.85 to 0.95) is not the learning rate's
            twin = lr_axes.twinx()
            hover(twin.plot(updates, values[series], color="black", linestyle="--", linewidth=1)[0], f"{name}: {series} per update (onecycle)")
            twin.set_ylabel(series)
            twin.grid(False)
            cycled_any = True
        described.append(f"{row.letter}: {spec.schedule['kind']}, learning rate {extent(values['lr'])}")
    for axes in grid[-1]:
        axes.set_xlabel("epoch")
        axes.set_xlim(0, result_set.epochs)
    figure.tight_layout()
    handles = [Line2D([], [], color="grey", linewidth=1.5, label="median cost" if banded else "cost")]
    if banded:
        handles.append(Patch(facecolor=to_rgba("grey", 0.3), linewidth=0, label="min\u2013max over seeds"))
    handles.append(Line2D([], [], color="grey", linewidth=1.5, label="learning rate"))
    if cycled_any:
        handles.append(Line2D([], [], color="black", linestyle="--", linewidth=1, label="momentum or beta1 (right axis)"))
    legend_below(figure, handles, ncol=2, fontsize=TEXT)
    alt = (
        f"{len(specs)} rows of two line charts over epochs ({result_set.experiment}), one row per method with a learning-rate schedule: "
        "its cost on the left, its learning rate on the right. " + "; ".join(described) + "."
    )
    caption = (
        f"The methods with a learning-rate schedule: cost per epoch (left) beside the learning rate of every update (right), on the same "
        f"axis of epochs; update n of the {per_epoch} per epoch is drawn at n / {per_epoch}."
        + (" Dashed: the momentum or beta1 that onecycle cycles against the learning rate, on the right-hand axis." if cycled_any else "")
    )
    title = f"Learning-rate schedules ({result_set.experiment})"
    return finished_figure(figure, figure_slug(result_set.experiment, "schedules"), "cost", title, alt, caption)
