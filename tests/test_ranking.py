"""Ranks with intervals on synthetic result sets: ties are declared where a paired interval includes zero, and only there."""

import math

import numpy as np
import pytest

from reportgen import analysis
from reportgen.analysis import findings, ranking
from reportgen.formatting import distinguishing_digits
from fixtures import METHODS, make_result_set

SIX_SEEDS = (678, 1, 2, 3, 4, 5)


def with_finals(finals: np.ndarray, seeds=SIX_SEEDS):
    """The textbook fixture with its last epoch's costs replaced by ``finals`` (methods x seeds), well below every start."""
    result_set = make_result_set("textbook", "textbook", seeds)
    result_set.arrays["train_cost_logged"][:, :, -1] = finals
    return result_set


def spaced_finals(seeds: int = len(SIX_SEEDS)) -> np.ndarray:
    """Method m ends near 0.1 (m + 1) on every seed: every pair is told apart by all its seeds."""
    wobble = np.random.default_rng(7).uniform(-0.02, 0.02, size=(len(METHODS), seeds))
    return 0.1 * (np.arange(len(METHODS))[:, None] + 1) + wobble


def ranges(result):
    return {row.letter: (row.rank_low, row.rank_high) for row in result.rows}


def test_methods_every_seed_tells_apart_get_settled_ranks():
    result = analysis.analyse_experiment(with_finals(spaced_finals()))
    assert ranges(result) == {letter: (place, place) for place, letter in enumerate("abcdefghijkl", start=1)}
    assert result.ranking.coverage == pytest.approx(1 - 2 / 2**6) and result.ranking.agreeing == 6
    assert all(step.shown_lower == step.above and not step.difference.tie for step in result.ranking.steps)


def test_one_disagreeing_seed_of_six_is_a_tie_and_both_share_the_range():
    finals = spaced_finals()
    finals[4] = finals[3] + np.array([0.05, 0.05, 0.05, 0.05, 0.05, -0.05])  # e above d on five seeds, below on one
    result = analysis.analyse_experiment(with_finals(finals))
    assert ranges(result)["d"] == ranges(result)["e"] == (4, 5)
    assert ranges(result)["c"] == (3, 3) and ranges(result)["f"] == (6, 6)  # the neighbours stay told apart
    step = next(step for step in result.ranking.steps if {step.above, step.below} == {"adagrad", "adadelta"})
    assert step.difference.tie and step.shown_lower == ""
    assert (step.difference.low, step.difference.high) == (pytest.approx(-0.05), pytest.approx(0.05))  # [min, max] of six


def test_a_range_counts_every_pair_not_only_neighbours():
    # d ~ e and e ~ f are ties, but every seed puts d below f: d ranks 4-5, e 4-6, f 5-6.
    finals = spaced_finals()
    finals[4] = finals[3] + np.array([0.05, 0.05, 0.05, 0.05, 0.05, -0.05])
    finals[5] = finals[4] + np.array([-0.03, 0.05, 0.05, 0.05, 0.05, 0.06])  # f - d: 0.02, 0.1, 0.1, 0.1, 0.1, 0.01
    result = analysis.analyse_experiment(with_finals(finals))
    assert (ranges(result)["d"], ranges(result)["e"], ranges(result)["f"]) == ((4, 5), (4, 6), (5, 6))


def test_too_few_seeds_test_no_rank():
    result = analysis.analyse_experiment(with_finals(spaced_finals(5), seeds=SIX_SEEDS[:5]))
    assert not result.ranking.tested and result.ranking.agreeing == 0
    assert set(ranges(result).values()) == {(1, 12)}  # five seeds agreeing still give no 95% interval
    assert all(step.difference.tie for step in result.ranking.steps)


def test_a_diverged_method_ranks_last_by_rule_even_untested():
    result_set = make_result_set(adadelta_nan=True)  # one seed: nothing is tested, but Adadelta stops as diverged
    result = analysis.analyse_experiment(result_set)
    assert ranges(result)["e"] == (12, 12) and set(ranges(result).values()) == {(1, 11), (12, 12)}
    last = result.ranking.steps[-1]
    assert (last.below, last.by_rule, last.shown_lower) == ("adadelta", True, last.above)


def test_shown_lower_follows_the_interval_sign():
    finals = np.array([[1.0] * 6, [2.0] * 6, [1.0, 1, 1, 1, 1, 3]])
    lower = ranking.shown_lower(finals, [False, False, False])
    assert lower[0, 1] and not lower[1, 0]
    assert not lower[0, 2] and not lower[2, 0]  # five zero differences and one positive: the interval [0, 2] includes zero
    assert ranking.rank_ranges(lower) == [(1, 2), (2, 3), (1, 3)]


def test_the_summary_rests_on_the_ranges_and_the_first_step():
    finals = spaced_finals()
    finals[7] = finals[6] + np.array([0.01, -0.01, 0.01, 0.01, 0.01, 0.01])  # h ties g
    result_set = with_finals(finals)
    result = analysis.analyse_experiment(result_set)
    text = " ".join(findings.findings([result_set], [result], []))
    assert "In textbook the lowest median final costs are a (" in text and "(rank 1)" in text
    assert "over 6 seeds allow (96.88% coverage each)" in text
    assert "the first two, a (Stochastic gradient descent) and b (Momentum)" in text and ": a is lower." in text
    assert ranges(result)["g"] == ranges(result)["h"] == (7, 8)


def test_one_seed_says_the_order_is_untested():
    result_set = make_result_set()
    text = " ".join(findings.findings([result_set], [analysis.analyse_experiment(result_set)], []))
    assert "the lowest final costs of the single runs (seed 678) are g (" in text
    assert "With 1 seed no paired interval exists (a 95% sign-test interval needs 6 seeds), so this order is untested" in text
    assert "rank 1\u201311" in text


def test_equal_accuracies_are_ties_and_the_step_follows_n_test():
    result_set = with_finals(spaced_finals())
    accuracy = result_set.arrays["test_accuracy"]
    accuracy[:, :, -1] = 0.75
    accuracy[[0, 5], :, -1] = 0.875  # a and f: one image more on every seed
    accuracy[1, :, -1] = [0.875, 0.875, 0.875, 0.75, 0.75, 0.75]  # b: as often one more as not
    result_set.config["data"]["n_test"] = 8
    result = analysis.analyse_experiment(result_set)
    assert result.accuracy_step == 1 / 8
    sentence = next(line for line in findings.findings([result_set], [result], []) if "test accuracy" in line)
    assert "is 87.5%, reached by a (Stochastic gradient descent) and f (RMSprop)" in sentence
    assert "8 test images give accuracy in steps of 12.5 points (one image), so equal accuracies are ties" in sentence
    assert "paired over 6 seeds, b (Momentum) cannot be told apart from a either." in sentence


def test_distinguishing_digits_tell_neighbours_apart_and_leave_equals_alone():
    values = [1.767010562514199, 1.7670106815238167, 1.768159165740721, 4.1, 4.1, math.nan]
    digits = distinguishing_digits(values)
    assert digits == [8, 8, 4, 4, 4, 4]
    assert f"{values[0]:.8g}" != f"{values[1]:.8g}" and f"{values[0]:.7g}" == f"{values[1]:.7g}"
