"""Scores across problems: targets, times to target, profiles, the integrated score, speed-ups, intervals and ties,
against values worked out by hand, properties that must hold on any data, and a transcription of AlgoPerf's code."""

import math

import numpy as np
import pytest

from reportgen.analysis import profiles
from reportgen.analysis.scores import Run, best_value, epochs_to_target, median_time, score_suite, target, times_by_unit
from reportgen.errors import ConfigError

INF = math.inf
GRID_ERROR = 1 / (2 * (profiles.GRID_POINTS - 1))  # the most AlgoPerf's grid differs from the exact integral: a ratio on a tau


def floor_run(problem, method, seed, epochs, seconds_per_step=0.01, budget=60, steps_per_epoch=5):
    """A run whose per-epoch curve is 1 until it drops to 0.1 at ``epochs`` (never for inf): its best value is 0.1 when it drops."""
    curve = np.ones(budget)
    if math.isfinite(epochs):
        curve[int(epochs) - 1 :] = 0.1
    return Run(problem, method, seed, curve, seconds_per_step, steps_per_epoch)


def suite(epochs_by_cell, seeds=5, seconds_per_step=None):
    """Runs with the same epochs to 0.1 on every seed: {(problem, method): epochs}."""
    per_step = seconds_per_step or {}
    return [
        floor_run(problem, method, seed, epochs, per_step.get(method, 0.01))
        for (problem, method), epochs in epochs_by_cell.items()
        for seed in range(seeds)
    ]


# --- targets and times to target ---------------------------------------------------------------------------------


def test_a_runs_best_value_ignores_what_is_not_finite():
    assert best_value([0.5, 0.2, np.nan, 0.3]) == 0.2
    assert best_value([0.5, -np.inf, np.inf]) == 0.5
    assert best_value([np.nan, np.nan]) == INF


def test_the_target_is_the_better_baselines_median_best_and_the_upper_median_for_even_seeds():
    found = target("p", [[0.3, 0.1, 0.2], [0.25, 0.15, 0.5]])
    assert (found.value, found.baseline, found.baseline_bests) == (0.2, "momentum", (0.2, 0.25))
    even = target("p", [[0.4, 0.1, 0.3, 0.2], [0.9, 0.9, 0.9, 0.9]])
    assert even.value == 0.3  # np.median's 0.25 would be reached by only two of the four runs
    assert (even.baseline, target("p", [[0.9], [0.5]]).baseline) == ("momentum", "adam")
    assert target("p", [[INF, INF, 0.1], [INF, 0.2, INF]]).value == INF  # neither baseline's median is finite


def test_time_to_target_is_the_first_epoch_at_or_below_it_counted_from_one():
    curve = [0.9, 0.5, np.nan, 0.1, 0.05]
    assert epochs_to_target(curve, 0.5) == 2  # equal counts
    assert epochs_to_target(curve, 0.1) == 4
    assert epochs_to_target(curve, 0.01) == INF
    assert epochs_to_target([1.0, 0.1, np.nan, np.inf], 0.1) == 2  # reached, then diverged: it keeps its time
    assert epochs_to_target([1.0, -np.inf, 0.5], 0.7) == 3  # -inf is no value
    assert epochs_to_target([0.1, 0.0], INF) == INF  # no target: nothing reaches it


def test_the_median_over_seeds_counts_did_not_reach_as_infinite_with_order_statistic_intervals():
    time, coverage = median_time([3, 1, INF, 2, INF])
    assert (time.median, time.low, time.high, coverage) == (3, 1, INF, 1 - 2 / 2**5)  # five seeds: [min, max], 93.75%
    assert median_time([1, 2, INF, INF])[0].median == INF  # half reached: the mean of 2 and inf
    assert median_time([1, 2, 3, INF])[0].median == 2.5
    six, coverage = median_time([6, 5, 4, 3, 2, 1])
    assert (six.low, six.high, coverage) == (1, 6, 1 - 2 / 2**6)
    ten, coverage = median_time(np.arange(10.0))
    assert (ten.low, ten.high, coverage) == (1, 8, 1 - 2 * 11 / 1024)  # k = 2, as paired.interval_rank


def test_times_in_steps_epochs_and_seconds_and_the_raw_table():
    runs = suite({("p", "momentum"): 10, ("p", "adam"): INF, ("p", "sgd"): 20}, seeds=3, seconds_per_step={"sgd": 0.5})
    runs.append(floor_run("p", "lion", 0, 4))
    runs += [floor_run("p", "lion", seed, INF) for seed in (1, 2)]
    problems, methods, targets, times = times_by_unit(runs)
    assert problems == ("p",) and methods == ("adam", "lion", "momentum", "sgd")
    assert (targets[0].value, targets[0].baseline, targets[0].baseline_bests) == (0.1, "momentum", (0.1, 1.0))
    assert times["epochs"][0, :, 0].tolist() == [INF, 4, 10, 20]
    assert times["steps"][0, :, 0].tolist() == [INF, 20, 50, 100]  # five steps an epoch
    assert times["seconds"][0, :, 0].tolist() == pytest.approx([INF, 0.2, 0.5, 50])
    table = score_suite(runs, resamples=10).table
    assert [(row.method, row.reached, row.steps.median) for row in table] == [("adam", 0, INF), ("lion", 1, INF), ("momentum", 3, 50), ("sgd", 3, 100)]
    assert (table[1].epochs.low, table[1].epochs.high, table[3].seconds.median) == (4, INF, pytest.approx(50))


# --- ratios, profiles, the integrated score ----------------------------------------------------------------------


def test_ratios_divide_by_the_fastest_and_a_problem_nobody_reaches_is_infinite_for_all():
    ratios = profiles.performance_ratios([[10, 20, INF], [30, 15, 60], [INF, INF, INF]])
    assert ratios.tolist() == [[1, 2, INF], [2, 1, 4], [INF, INF, INF]]


def test_the_profile_counts_all_problems_by_hand():
    ratios = [[1, 2, INF], [2, 1, 4], [INF, INF, INF]]
    rho = profiles.profile(ratios, [1, 2, 4])
    assert rho == pytest.approx(np.array([[1, 2, 2], [1, 2, 2], [0, 0, 1]]) / 3)


def test_the_integrated_score_by_hand_on_a_four_point_grid():
    # taus 1, 2, 3, 4; rho = 1/3, 1/3, 2/3, 2/3 for ratios 1, 2.5, inf; trapezoids 1/3 + 1/2 + 2/3 over 3
    assert profiles.integrated_score([[1.0], [2.5], [INF]], grid_points=4) == pytest.approx([0.5])
    assert profiles.integrated_score([[2.0]], grid_points=4) == pytest.approx([(0.5 + 1 + 1) / 3])  # exact: 2/3


def test_the_integrated_score_is_the_exact_area_up_to_the_grid_error():
    ratios = 1 + np.random.default_rng(1).exponential(1.5, size=(7, 5))
    ratios[2, 3] = INF
    exact = np.clip((profiles.R_MAX - ratios) / (profiles.R_MAX - 1), 0, 1).mean(axis=0)
    assert np.abs(profiles.integrated_score(ratios) - exact).max() <= GRID_ERROR + 1e-12
    assert profiles.integrated_score(ratios, grid_points=100_001) == pytest.approx(exact, abs=1e-5)


def algoperf_scores(times: np.ndarray) -> np.ndarray:
    """AlgoPerf's scoring/performance_profile.py and score_submissions.py, transcribed: rows are submissions (methods),
    columns workloads (problems); max_tau=4, num_points=100, linear scale, normalize=True."""
    best_scores = times.min(axis=0)
    times = np.where(times > 4 * best_scores, np.inf, times)  # not within 4x of the fastest
    with np.errstate(invalid="ignore"):
        divided = times / best_scores  # df.div(df.min(axis=0), axis=1): inf / inf is NaN
    ratios = np.where(np.isnan(divided), times, divided)  # df.update(...) skips NaN: the time's inf stays
    points = np.linspace(1.0, 4.0, num=100)
    perf = np.stack([(ratios <= tau).sum(axis=1) / times.shape[1] for tau in points], axis=1)
    trapz = ((perf[:, 1:] + perf[:, :-1]) / 2 * np.diff(points)).sum(axis=1)  # np.trapz(df, x=df.columns)
    return trapz / (points.max() - points.min())


def test_the_integrated_score_matches_a_transcription_of_algoperfs_code():
    rng = np.random.default_rng(2)
    times = rng.uniform(10, 100, size=(8, 6))  # problems x methods
    times[rng.uniform(size=times.shape) < 0.2] = INF
    times[5] = INF  # a problem no method reaches
    assert profiles.integrated_score(profiles.performance_ratios(times)) == pytest.approx(algoperf_scores(times.T), abs=1e-12)


def test_a_method_fastest_everywhere_scores_one_and_one_that_never_reaches_scores_zero():
    rng = np.random.default_rng(3)
    times = rng.uniform(10, 100, size=(4, 3, 5))  # problems x methods x seeds
    times[:, 0] = 1.0 + rng.uniform(size=(4, 5))  # below every other time on every seed
    times[:, 2] = INF
    resampled = profiles.resampled_medians(times, resamples=200)
    values = profiles.integrated_score(profiles.performance_ratios(np.median(times, axis=-1)))
    found = profiles.scores(["fast", "middle", "never"], values, profiles.integrated_score(profiles.performance_ratios(resampled)))
    assert [(score.value, score.low, score.high) for score in (found[0], found[2])] == [(1, 1, 1), (0, 0, 0)]


def test_ratios_and_scores_do_not_change_when_a_problems_times_are_scaled():
    times = np.random.default_rng(4).uniform(1, 10, size=(5, 4))
    times[1, 2] = INF
    scaled = times * np.array([1.0, 3.0, 0.01, 7.0, 1e6])[:, None]
    assert profiles.performance_ratios(scaled) == pytest.approx(profiles.performance_ratios(times))
    assert profiles.integrated_score(profiles.performance_ratios(scaled)) == pytest.approx(profiles.integrated_score(profiles.performance_ratios(times)))


def test_the_profile_never_decreases_and_stays_between_zero_and_one():
    ratios = profiles.performance_ratios(np.random.default_rng(5).exponential(size=(9, 6)))
    rho = profiles.profile(ratios, np.linspace(0.5, 10, 200))
    assert (np.diff(rho, axis=-1) >= 0).all() and rho.min() >= 0 and rho.max() <= 1
    assert rho[:, -1].sum() > rho[:, 0].sum()  # it does rise


# --- speed-ups ---------------------------------------------------------------------------------------------------


def test_the_speed_up_is_a_geometric_mean_over_the_problems_both_reach():
    times = np.array([[10, 5, 20], [20, 40, INF], [INF, 7, INF], [30, INF, INF]])  # problems x (sgd, a, b)
    speedups = profiles.speedups(times, reference=0)
    assert speedups[0] == 1 and speedups[1] == pytest.approx(1.0)  # 2 and 0.5 and speedups[2] == pytest.approx(0.5)
    both, only_method, only_reference = profiles.reach_counts(times, reference=0)
    assert (both.tolist(), only_method.tolist(), only_reference.tolist()) == ([3, 2, 1], [0, 1, 0], [0, 1, 2])
    assert np.isnan(profiles.speedups(np.array([[10.0, INF], [INF, 3.0]]), reference=0)[1])  # no problem in common


def test_a_speed_up_without_a_problem_in_common_has_no_interval_and_no_place():
    runs = suite({("p", "momentum"): 5, ("p", "adam"): 8})
    runs += [floor_run("p", "sgd", seed, 10 if seed < 2 else INF) for seed in range(5)]  # two of five: its median is inf
    result = score_suite(runs, resamples=200)
    momentum = next(score for score in result.speedups if score.method == "momentum")
    assert math.isnan(momentum.value) and math.isnan(momentum.low) and (momentum.both, momentum.only_method) == (0, 1)
    assert result.speedup_places == ()  # though resamples that draw sgd's two good seeds thrice have a speed-up
    assert [place.method for place in result.integrated_places] == ["momentum", "adam", "sgd"]


# --- intervals, ties, determinism --------------------------------------------------------------------------------


def test_resampling_draws_the_same_seeds_for_every_method_on_a_problem():
    times = np.random.default_rng(6).uniform(1, 10, size=(3, 1, 7))
    paired = np.concatenate([times, 2 * times, times[:, :, ::-1]], axis=1)
    resampled = profiles.resampled_medians(paired, resamples=300)
    assert resampled[:, :, 1] == pytest.approx(2 * resampled[:, :, 0])  # the same draw, twice the times
    assert not np.allclose(resampled[:, :, 2], resampled[:, :, 0])  # other seeds' times in the same draw
    assert np.array_equal(resampled, profiles.resampled_medians(paired, resamples=300))
    assert not np.array_equal(resampled, profiles.resampled_medians(paired, resamples=300, seed=1))


def test_a_difference_every_seed_shows_is_declared_though_the_marginal_intervals_overlap():
    rng = np.random.default_rng(7)
    shared = rng.uniform(10, 100, size=(4, 6))  # problems x seeds: the seeds' luck, shared by the two methods
    times = np.stack([rng.uniform(50, 500, size=(4, 6)), shared, 1.1 * shared, np.roll(shared, 1, axis=1)], axis=1)
    medians, resampled = np.median(times, axis=-1), profiles.resampled_medians(times)
    values, resampled_values = profiles.speedups(medians, 0), profiles.speedups(resampled, 0)
    faster, slower, shifted = profiles.scores(["sgd", "faster", "slower", "shifted"], values, resampled_values)[1:]
    assert faster.low < slower.high  # the marginal intervals overlap
    ranking = {place.method: place for place in profiles.places(["sgd", "faster", "slower", "shifted"], values, resampled_values)}
    assert "slower" not in ranking["faster"].ties  # the paired interval of their difference lies above zero
    assert shifted.value == faster.value and "shifted" in ranking["faster"].ties  # the same times, on other seeds


def test_places_give_rank_ranges_and_leave_out_a_method_without_a_value():
    resampled = np.array([[3.0, 2.0, 2.1, np.nan], [3.1, 2.1, 2.0, np.nan], [3.2, 2.2, 2.2, np.nan]] * 20)
    ranking = profiles.places(["a", "b", "c", "d"], [3.1, 2.1, 2.1, np.nan], resampled)
    assert [(place.method, place.best_rank, place.worst_rank, place.ties) for place in ranking] == [
        ("a", 1, 1, ()),
        ("b", 2, 3, ("c",)),
        ("c", 2, 3, ("b",)),
    ]


def test_a_small_suite_end_to_end_by_hand():
    epochs = {("p1", "adam"): 10, ("p1", "momentum"): 20, ("p1", "sgd"): 50, ("p2", "adam"): INF, ("p2", "momentum"): 30, ("p2", "sgd"): 15}
    result = score_suite(suite(epochs), resamples=50)
    assert [(goal.problem, goal.value, goal.baseline) for goal in result.targets] == [("p1", 0.1, "momentum"), ("p2", 0.1, "momentum")]
    assert result.methods == ("adam", "momentum", "sgd")
    assert result.ratios.tolist() == [[1, 2, 5], [INF, 2, 1]]
    integrated = {score.method: score for score in result.integrated}
    assert integrated["adam"].value == integrated["sgd"].value == pytest.approx(0.5, abs=1e-12)  # mean(1, 0), mean(0, 1)
    # exact: (4 - 2) / 3 on both; 2 is the 34th tau of AlgoPerf's grid, and the trapezoid up to it adds half a step
    assert integrated["momentum"].value == pytest.approx(2 / 3 + GRID_ERROR)
    assert all(score.low == score.high == score.value for score in result.integrated)  # every seed alike
    speedups = {score.method: score for score in result.speedups}
    assert (speedups["adam"].value, speedups["adam"].both, speedups["adam"].only_reference) == (pytest.approx(5), 1, 1)
    assert speedups["momentum"].value == pytest.approx(math.sqrt(50 / 20 * 15 / 30))
    assert [(place.method, place.best_rank, place.worst_rank) for place in result.integrated_places] == [("momentum", 1, 1), ("adam", 2, 3), ("sgd", 2, 3)]
    assert result.profiles[0, 0] == 0.5 and result.profiles[2, -1] == 0.5 and (result.profiles_low <= result.profiles).all()
    by_seconds = score_suite(suite(epochs, seconds_per_step={"momentum": 0.005}), unit="seconds", resamples=50)
    assert by_seconds.ratios == pytest.approx(np.array([[1, 1, 5], [INF, 1, 1]]))
    assert score_suite(suite(epochs), unit="epochs", resamples=50).ratios.tolist() == result.ratios.tolist()


def test_scores_are_the_same_whatever_the_order_of_the_runs():
    rng = np.random.default_rng(8)
    runs = [
        floor_run(problem, method, seed, int(rng.integers(1, 60)) if rng.uniform() < 0.8 else INF)
        for problem in ("p", "q", "r")
        for method in ("sgd", "momentum", "adam", "lion")
        for seed in range(6)
    ]
    first, second = score_suite(runs, resamples=200), score_suite(runs[::-1], resamples=200)
    assert first.integrated == second.integrated and repr(first.speedups) == repr(second.speedups) and first.table == second.table  # repr: nan != nan
    assert first.integrated_places == second.integrated_places and np.array_equal(first.profiles_high, second.profiles_high)


def test_bad_suites_are_refused():
    runs = suite({("p", "momentum"): 10, ("p", "adam"): 20, ("p", "sgd"): 30}, seeds=2)
    with pytest.raises(ConfigError, match="baseline 'adamw' .*did you mean 'adam'"):
        score_suite(runs, baselines=("momentum", "adamw"))
    with pytest.raises(ConfigError, match="unit must be one of"):
        score_suite(runs, unit="hours")
    with pytest.raises(ValueError, match="missing"):
        score_suite(runs[1:])
    with pytest.raises(ValueError, match="two runs"):
        score_suite(runs + runs[:1])
    with pytest.raises(ValueError, match="steps per epoch"):
        score_suite(runs[:-1] + [floor_run("p", "sgd", 1, 30, steps_per_epoch=7)])
    with pytest.raises(ValueError, match="finite numbers > 0"):
        score_suite(runs[:-1] + [floor_run("p", "sgd", 1, 30, seconds_per_step=0.0)])
    unmeasured = score_suite(runs[:-1] + [floor_run("p", "sgd", 1, 30, seconds_per_step=np.nan)])  # a run without timings: no seconds
    sgd = next(row for row in unmeasured.table if row.method == "sgd")
    assert np.isnan(sgd.seconds.median) and np.isfinite(sgd.steps.median)


def test_a_problems_floor_raises_a_target_a_baseline_reached_exactly():
    """On a problem with a known optimum a tuned baseline can reach f* to the last bit: a target of exactly 0 would
    time nothing else, so the problem's floor (problems: target_floor) is the least target."""
    exact = [0.0, 0.0, 0.0]
    assert target("p", [exact, [1.0, 1.0, 1.0]]).value == 0.0
    raised = target("p", [exact, [1.0, 1.0, 1.0]], floor=1e-6)
    assert (raised.value, raised.baseline, raised.floor) == (1e-6, "momentum", 1e-6)
    assert target("p", [[0.5] * 3, [1.0] * 3], floor=1e-6).value == 0.5  # a floor below the baselines changes nothing
    runs = suite({("p", "momentum"): 10, ("p", "adam"): 30, ("p", "sgd"): INF}, seeds=3)
    _, _, plain, _ = times_by_unit(runs)
    _, _, floored, _ = times_by_unit(runs, floors={"p": 10.0})
    assert floored[0].value == 10.0 > plain[0].value
