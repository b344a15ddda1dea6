"""The report's numbers on tiny hand-made curves where the answer is known, and on the fixture."""

import math

import numpy as np
import pytest

from reportgen import analysis, config
from reportgen.ablation.plan import Arm
from reportgen.ablation.plan import Plan as AblationPlan
from reportgen.ablation.run import Ablation, ArmRuns
from reportgen.analysis import curves, events, findings, overlap, quirks, ranking
from reportgen.formatting import number
from reportgen.training.results import EPOCH_METRICS, LAYER_METRICS, ResultSet, RunMetrics
from fixtures import fixture_experiment, make_pair, make_result_set


def tiny_result_set(costs: dict[str, list], diverged: dict[str, list] | None = None, n_train: int = 10) -> ResultSet:
    """costs: method -> (seeds, epochs) list of logged costs."""
    names = list(costs)
    cost = np.array([costs[name] for name in names], dtype=float)
    methods, seeds, epochs = cost.shape
    arrays = {metric: np.ones((methods, seeds, epochs)) for metric in EPOCH_METRICS}
    arrays.update({metric: np.ones((methods, seeds, epochs, 3)) for metric in LAYER_METRICS})
    arrays["train_cost_logged"] = cost
    stopped = np.zeros((methods, seeds), dtype=int)
    for name, epochs_stopped in (diverged or {}).items():
        stopped[names.index(name)] = epochs_stopped
    experiment = fixture_experiment("tiny", "textbook", tuple(range(seeds)), epochs, n_train, {name: {"lr": 0.1} for name in names})
    return ResultSet(
        experiment="tiny",
        description="",
        config=experiment.config,
        key="",
        data={"n_train": n_train},
        methods=list(experiment.methods),
        seeds=list(range(seeds)),
        epochs=epochs,
        arrays=arrays,
        diverged_epoch=stopped,
        samples=np.zeros((1, 28, 28), dtype=np.uint8),
        sample_labels=np.zeros(1, dtype=int),
    )


def test_identical_curves_never_separate_and_cannot_be_told_apart():
    curve = np.array([10.0, 8.0, 6.0, 5.0, 4.5])
    max_diff, mean_diff, gap, correlation, tolerance, separation, distinguishable = overlap.overlap(curve, curve.copy(), 0.01)
    assert (max_diff, mean_diff, gap, separation, distinguishable) == (0.0, 0.0, 0.0, 0, False)
    assert correlation == pytest.approx(1.0)
    assert tolerance == pytest.approx(0.01 * 5.5)


def test_shifted_curve_separates_at_the_exact_epoch():
    first = np.linspace(10.0, 0.0, 11)
    second = first.copy()
    second[6:] += 0.5  # epochs 7.. differ by 0.5; tolerance = 1% of the range 0..10
    statistics = overlap.overlap(first, second, resolution=0.01)
    assert statistics[0] == pytest.approx(0.5)
    assert statistics[4] == pytest.approx(0.1)
    assert statistics[5] == 7
    assert statistics[6] is True  # 0.5 > one line width (4.17 px x 0.01)
    assert overlap.overlap(first, second, resolution=1.0)[6] is False  # 0.5 < 4.17 x 1.0


def test_nan_epochs_are_left_out_of_the_overlap():
    first = np.array([4.0, 3.0, np.nan, np.nan])
    second = np.array([4.0, 3.5, 2.0, 1.0])
    assert overlap.overlap(first, second, 0.1)[0] == pytest.approx(0.5)


def test_divergence_is_the_jump_above_the_start_that_never_returns():
    assert events.divergence_epoch(np.array([10.0, 8.0, 6.0, 30.0, 31.0, 29.0])) == 4
    assert events.divergence_epoch(np.array([10.0, 10.6, 11.0, 11.5, 12.0, 12.4])) == 0  # a slow drift up is no blow-up
    assert events.divergence_epoch(np.array([10.0, 12.0, 16.0, 19.0, 25.0])) == 2  # the climb that never returns starts at 2
    assert events.divergence_epoch(np.array([11.62, 16.82, 18.18, 19.06, 25.0])) == 2  # the 2018 Adadelta: the 45% jump is at epoch 2
    assert events.divergence_epoch(np.array([10.0, 8.0, 30.0, 5.0, 4.0])) == 0  # came back
    assert events.divergence_epoch(np.array([10.0, 10.2, 10.1, 10.3])) == 0  # within the 5% margin
    assert events.divergence_epoch(np.array([10.0, 5.0, np.nan, np.nan])) == 3  # NaN counts as above
    assert events.divergence_epoch(np.array([10.0, 5.0, 4.0]), stopped_epoch=2) == 2


def test_convergence_marker_is_the_epoch_where_the_flat_stretch_starts_falling():
    curve = np.array([10.0, 10.0, 10.1, 9.9, 10.0, 10.0, 5.0, 2.0, 1.0, 1.0])
    # window 2: curve[e + 2] < 0.8 curve[e] first holds at index 4 (10.0 -> 5.0): epoch 5
    assert events.convergence_epoch(curve, window=2) == 5
    assert events.convergence_epoch(np.array([10.0, 6.0, 3.0, 2.0, 1.0, 1.0]), window=2) == 0  # never flat
    assert events.convergence_epoch(np.full(10, 7.0), window=2) == 0  # flat, never falls


def test_markers_from_a_result_set():
    result_set = tiny_result_set(
        {
            "sgd": [[10.0, 8.0, 6.0, 5.0, 4.0, 3.0, 2.5, 2.0]],
            "adadelta": [[10.0, 8.0, 20.0, 24.0, 24.5, 24.2, 24.4, 24.3]],
            "adam_noise": [[10.0, 10.0, 10.0, 10.0, 9.9, 6.0, 3.0, 2.0]],
        }
    )
    markers = {marker.method: marker for marker in analysis.analyse_experiment(result_set).markers}
    assert set(markers) == {"adadelta", "adam_noise"}
    assert (markers["adadelta"].kind, markers["adadelta"].epoch, markers["adadelta"].cost) == ("diverged", 3, 20.0)
    assert "epoch 3" in markers["adadelta"].caption and "8 -> 20" in markers["adadelta"].caption
    # window = max(2, 5% of 8 epochs) = 2; 9.9 -> 3.0 within two epochs from epoch 5
    assert (markers["adam_noise"].kind, markers["adam_noise"].epoch) == ("converging", 4)


def test_rank_order_puts_diverged_runs_last():
    assert ranking.rank_order([1.0, math.nan, 0.5, 3.0], [0, 1, 0, 0]) == [2, 4, 1, 3]
    assert ranking.rank_order([1.0, 0.1, 0.5], [0, 1, 0]) == [2, 3, 1]  # a low cost does not save a diverged run


def test_diverged_run_in_the_fixture_ranks_last_with_its_epoch():
    result = analysis.analyse_experiment(make_result_set(adadelta_nan=True))
    adadelta = next(row for row in result.rows if row.method == "adadelta")
    assert (adadelta.rank, adadelta.diverged_runs, adadelta.diverged_epoch) == (12, 1, 12)
    assert math.isnan(adadelta.final_cost)
    marker = next(marker for marker in result.markers if marker.method == "adadelta")
    assert (marker.kind, marker.epoch) == ("diverged", 12)


def test_rows_aggregate_over_seeds():
    result_set = tiny_result_set({"sgd": [[10.0, 4.0, 1.0], [10.0, 3.0, 2.0], [10.0, 5.0, 4.0]]})
    result = analysis.analyse_experiment(result_set)
    (row,) = result.rows
    assert (row.final_cost, row.final_cost_spread) == (2.0, 3.0)
    assert (row.best_cost, row.best_epoch) == (2.0, 3)  # median curve 10, 4, 2
    assert result.target_cost == pytest.approx(1.0)  # 10% of the first epoch
    assert row.epochs_to_target == 0  # the median curve ends at 2 > 1
    assert row.rank == 1


def test_fixture_overlaps_are_the_lockstep_pairs_on_the_plotted_medians():
    replica, textbook = make_pair()
    result = analysis.analyse_experiment(replica)
    assert [(stats.first, stats.second) for stats in result.overlaps] == [
        ("noise_training", "noise_gaussian"), ("sgd", "momentum"), ("sgd", "nesterov"), ("sgd", "gaussian_noise")
    ]
    hidden = result.overlaps[0]
    assert not hidden.distinguishable and hidden.separation_epoch == 0
    every = replica.metric("train_cost_logged")  # the y-range holds every seed's curve, plus 5% each side
    low, high = np.nanmin(every), np.nanmax(every)
    assert hidden.resolution == pytest.approx(1.1 * (high - low) / curves.MAIN_PLOT_HEIGHT_PIXELS)
    assert hidden.pixels == pytest.approx(hidden.max_abs_diff / hidden.resolution)
    median = np.median(textbook.metric("train_cost_logged"), axis=1)
    stats = analysis.analyse_experiment(textbook).overlaps[0]
    assert stats.max_abs_diff == pytest.approx(np.max(np.abs(median[9] - median[10])))  # medians, not means
    assert result.overlap_matrix.shape == (12, 12)
    assert np.allclose(np.diag(result.overlap_matrix), 0.0)
    assert np.allclose(result.overlap_matrix, result.overlap_matrix.T)


def test_the_textbook_main_figure_measures_each_pair_in_the_panel_that_draws_it():
    _, textbook = make_pair()
    result = analysis.analyse_experiment(textbook)
    upper, lower = curves.main_panels(textbook)
    assert upper.log and not lower.log
    names = [spec.name for spec in textbook.methods]
    median = np.nanmedian(textbook.metric("train_cost_logged"), axis=1)
    a, b, j, k = (names.index(name) for name in ("sgd", "momentum", "noise_training", "noise_gaussian"))
    assert result.overlap_matrix[j, k] == pytest.approx(np.max(np.abs(median[j] - median[k])) / lower.resolution)
    decades = np.log10(upper.high) - np.log10(upper.low)
    assert result.overlap_matrix[a, b] == pytest.approx(np.nanmax(np.abs(np.log10(median[a] / median[b]))) * upper.height / decades)
    assert np.isnan(result.overlap_matrix[a, j])  # in different panels: never hide each other
    assert result.overlaps[0].resolution == pytest.approx(lower.resolution)
    every = textbook.metric("train_cost_logged")
    for panel in (upper, lower):
        drawn = every[[names.index(name) for name in panel.methods]]
        assert panel.low < np.nanmin(drawn) and np.nanmax(drawn) < panel.high  # the bands fit


def test_the_cause_reads_the_noise_floor_and_the_controlled_run():
    replica, _ = make_pair()
    stats = analysis.analyse_experiment(replica).overlaps[0]
    j = replica.metric("train_cost_logged")[9, 0]
    floor = replica.controls["floor:noise_training"][0]
    assert stats.cause.floor == pytest.approx([np.max(np.abs(stream - j)) for stream in floor])
    controlled = replica.controls["lockstep:noise_training:noise_gaussian:cost_logged"][0]
    assert stats.cause.own_effect == pytest.approx([np.max(np.abs(controlled - j))])
    assert not stats.cause.shares_noise  # the 2018 k draws its Gaussian from the Gumbel samples' generator
    assert "a different draw of the same random walk" in stats.explanation
    assert number(float(np.median(stats.cause.floor))) in stats.explanation


def test_a_configured_target_cost_is_the_one_used():
    result_set = make_result_set(epochs=5)
    first_epoch = np.median(result_set.metric("train_cost_logged")[:, :, 0], axis=1)
    assert analysis.analyse_experiment(result_set).target_cost == pytest.approx(0.1 * np.median(first_epoch))
    result_set.config["report"]["target_cost"] = 7.5
    assert analysis.analyse_experiment(result_set).target_cost == 7.5


def test_findings_follow_the_data():
    replica, textbook = make_pair()
    sentences = findings.findings([replica], [analysis.analyse_experiment(replica)], [])
    text = " ".join(sentences)
    assert "lowest final costs of the single runs (seed 678) are g (" in text
    assert "blows up at epoch 12" in text

    # Make Adagrad the best and let Adadelta blow up later: the sentences must follow.
    changed = make_result_set()
    costs = changed.arrays["train_cost_logged"]
    costs[3, 0, -1] = 0.001
    costs[4, 0, 11:17] = costs[4, 0, 10]
    changed_text = " ".join(findings.findings([changed], [analysis.analyse_experiment(changed)], []))
    assert "lowest final costs of the single runs (seed 678) are d (" in changed_text
    assert "blows up at epoch 18" in changed_text and "epoch 12" not in changed_text


def _ablation(finals: dict[str, tuple[list[float], list[float]]], stopped_arm_seed: int | None = None):
    """A seed-2018 ablation whose arms end at the given final costs: quirk text -> (baseline per seed, arm per seed)."""
    experiment = config.load_preset("seed-2018")
    arms, runs = [], []
    for quirk, (baseline, changed) in finals.items():
        arm = Arm(quirk, "the textbook rule", experiment.methods[4], experiment.methods[4], "elu_2018")
        arms.append(arm)

        def metrics(costs, stop=None):
            return [RunMetrics({"train_cost_logged": np.array([9.0, cost])}, diverged_epoch=2 if index == stop else 0) for index, cost in enumerate(costs)]

        runs.append(ArmRuns(arm, metrics(baseline), metrics(changed, stopped_arm_seed)))
    planned = AblationPlan(experiment, "fix", tuple(range(len(baseline))), tuple(arms))
    return Ablation(planned, runs, trained=0, reused=0, seconds=0.0)


def test_a_quirk_effect_is_the_paired_difference_with_its_interval_and_a_tie_when_it_includes_zero():
    baseline = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    lower = [value - 0.5 - 0.01 * index for index, value in enumerate(baseline)]  # lower in every seed
    mixed = [value + (0.1 if index % 2 else -0.1) for index, value in enumerate(baseline)]
    effects = quirks.quirk_effects(_ablation({"lowers": (baseline, lower), "mixed": (baseline, mixed)}))
    lowered, tied = effects
    differences = np.sort(np.array(lower) - np.array(baseline))
    assert (lowered.difference.low, lowered.difference.high) == (differences[0], differences[-1])  # 6 seeds: k = 1
    assert lowered.difference.median == float(np.median(differences))
    assert not lowered.difference.tie and lowered.effect == "Undoing it lowers the final cost (lower in 6 of 6 seeds, coverage 96.88%)."
    assert tied.difference.tie and tied.effect == "No effect shown: the interval includes zero."
    sentence = findings.findings([], [], effects)[-1]
    assert "with each 2018 quirk undone alone over 6 paired seeds, 1 of 2 change the final cost beyond their interval" in sentence


def test_a_run_that_stops_as_diverged_is_counted_not_compared():
    baseline = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    effect = quirks.quirk_effects(_ablation({"stops": (baseline, baseline)}, stopped_arm_seed=0))[0]
    assert effect.stopped == (0, 1) and effect.difference.pairs == 5
    assert "makes 1 of 6 runs stop as diverged (baseline: 0)" in effect.effect
    assert effect.difference.tie and effect.effect.endswith("No effect shown: too few seeds for a 95% interval.")  # five pairs
