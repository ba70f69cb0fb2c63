"""Paired tests against published reference values and reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.evaluate._tests import (
    benjamini_hochberg,
    delong,
    delong_test,
    holm,
    mcnemar,
    mcnemar_table,
    paired_t,
    wilcoxon,
)


def test_mcnemar_reference_values() -> None:
    result = mcnemar_table([[9945, 25], [15, 15]])
    assert result.exact_p == pytest.approx(0.153860, abs=5e-7)
    assert result.chi2 == pytest.approx(2.025)
    assert result.chi2_p == pytest.approx(0.154729, abs=5e-7)
    assert mcnemar_table([[5, 0], [0, 5]]).exact_p == 1.0


def test_mcnemar_superiority_is_one_sided_binomial() -> None:
    cand = np.array([True] * 30 + [False] * 10 + [True] * 60)
    champ = np.array([False] * 30 + [True] * 10 + [True] * 60)
    result = mcnemar(cand, champ)
    from scipy.stats import binomtest

    assert result.p_value == pytest.approx(binomtest(30, 40, 0.5, alternative="greater").pvalue)
    assert result.estimate == pytest.approx(0.2)
    assert result.low < 0.2 < result.high
    assert mcnemar(champ, champ).p_value == 1.0


def test_benjamini_hochberg_matches_scipy_documentation_example() -> None:
    # The example of scipy.stats.false_discovery_control.
    ps = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    from scipy.stats import false_discovery_control

    ours = benjamini_hochberg(ps)
    assert ours == pytest.approx(list(false_discovery_control(ps)), abs=1e-12)
    assert [p < 0.05 for p in ours][:4] == [True, True, True, True]
    assert ours[4] > 0.05


def test_holm_step_down() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def _delong_reference(y: np.ndarray, scores: list[np.ndarray]) -> tuple[list[float], float]:
    """DeLong, DeLong and Clarke-Pearson (1988), from the placement sums: O(m*n)."""
    pos, neg = y, ~y
    m, n = int(pos.sum()), int(neg.sum())
    v10s, v01s, aucs = [], [], []
    for s in scores:
        x, z = s[pos], s[neg]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        aucs.append(float(psi.mean()))
        v10s.append(psi.mean(1))
        v01s.append(psi.mean(0))
    s10 = np.cov(np.vstack(v10s))
    s01 = np.cov(np.vstack(v01s))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    return aucs, float(var)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 300), st.booleans())
def test_fast_delong_equals_the_1988_definition(seed: int, n: int, rounded: bool) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    y[:2] = [True, False]
    a = rng.normal(size=n) + y
    b = 0.5 * a + rng.normal(size=n)
    if rounded:  # ties
        a, b = np.round(a, 1), np.round(b, 1)
    fast = delong(y, a, b)
    (ra, rb), var = _delong_reference(y, [a, b])
    assert fast.auc_candidate == pytest.approx(ra, abs=1e-10)
    assert fast.auc_champion == pytest.approx(rb, abs=1e-10)
    assert fast.variance == pytest.approx(var, abs=1e-10)
    result = delong_test(y, a, b, 0.0)
    if var > 0:
        from scipy.stats import norm

        z = (ra - rb) / math.sqrt(var)
        assert result.statistic == pytest.approx(z, abs=1e-8)
        assert result.p_value == pytest.approx(norm.sf(z), abs=1e-10)


def test_delong_with_identical_models_never_passes_superiority() -> None:
    y = np.array([True, False] * 50)
    s = np.linspace(0, 1, 100)
    assert delong_test(y, s, s, 0.0).p_value == 1.0
    assert delong_test(y, s, s, -0.01).p_value == 0.0  # non-inferior by construction


def test_paired_t_and_wilcoxon_against_scipy() -> None:
    from scipy.stats import ttest_1samp
    from scipy.stats import wilcoxon as sw

    rng = np.random.default_rng(1)
    gain = rng.normal(0.1, 1.0, 200)
    t = paired_t(gain, -0.05)
    ref = ttest_1samp(gain + 0.05, 0.0, alternative="greater")
    assert t.p_value == pytest.approx(ref.pvalue)
    assert t.statistic == pytest.approx(ref.statistic)
    w = wilcoxon(gain, 0.0)
    assert w.p_value == pytest.approx(sw(gain, alternative="greater").pvalue)
    assert wilcoxon(np.zeros(10), 0.0).p_value == 1.0
    assert paired_t(np.ones(10), 0.0).p_value == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=60))
def test_midranks_equal_scipy_rankdata(values: list[int]) -> None:
    from scipy.stats import rankdata

    from mlgate.evaluate._tests import midranks

    x = np.asarray(values, dtype=float)
    np.testing.assert_array_equal(midranks(x), rankdata(x))
