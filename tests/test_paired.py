"""The paired comparison: the sign-test interval and p-value against values worked out by hand."""

import math

import numpy as np
import pytest

from reportgen.analysis.paired import interval_rank, paired_difference, sign_test


@pytest.mark.parametrize(
    ("pairs", "k", "coverage"),
    [
        (5, 0, math.nan),  # 1 - 2/32 = 0.9375 < 0.95: five seeds give no 95% interval
        (6, 1, 1 - 2 / 64),
        (8, 1, 1 - 2 / 256),  # k = 2 would cover 1 - 2 * 9/256 = 0.9297
        (10, 2, 1 - 2 * 11 / 1024),
        (12, 3, 1 - 2 * 79 / 4096),
    ],
)
def test_interval_rank_is_the_narrowest_interval_with_95_percent_coverage(pairs, k, coverage):
    found_k, found_coverage = interval_rank(pairs)
    assert found_k == k
    assert found_coverage == pytest.approx(coverage, nan_ok=True)


def test_interval_is_made_of_order_statistics_and_declares_ties():
    first = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    second = np.zeros(10) + np.array([0.5, 0, 0, 0, 0, 0, 0, 0, 0, 10.5])
    result = paired_difference(first, second)
    differences = np.sort(first - second)  # -0.5, 0.5, 2, 3, ..., 9
    assert result.pairs == 10
    assert (result.low, result.high) == (differences[1], differences[8])
    assert result.median == float(np.median(differences))
    assert result.first_lower == 1 and result.second_lower == 9
    assert not result.tie  # the interval [0.5, 9] excludes zero
    assert result.p_value == pytest.approx(2 * 11 / 1024)


def test_few_pairs_are_a_tie_whatever_the_signs():
    result = paired_difference([1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
    assert result.first_lower == 3 and math.isnan(result.low) and result.tie
    assert result.p_value == 0.25  # the best a 3-seed sign test can do


def test_non_finite_pairs_are_dropped_and_zero_differences_do_not_count_for_either():
    result = paired_difference([1.0, np.nan, 2.0, 3.0], [1.0, 1.0, np.inf, 4.0])
    assert result.pairs == 2 and result.first_lower == 1 and result.second_lower == 0
    assert sign_test(1, 0) == 1.0 and sign_test(0, 0) == 1.0
