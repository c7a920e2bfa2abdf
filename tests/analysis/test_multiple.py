import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sim.analysis import adjust_pvalues, sample_ratio_mismatch

P = [0.001, 0.04, 0.012, 0.3, 0.049, 0.02]


@pytest.mark.parametrize("method,sm_method", [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")])
def test_adjusted_pvalues_equal_multipletests(method, sm_method):
    r = adjust_pvalues(P, method=method)
    reject, adj, _, _ = multipletests(P, alpha=0.05, method=sm_method)
    assert r.p_adjusted == pytest.approx(tuple(adj), rel=1e-12)
    assert r.reject == tuple(reject)


def test_holm_by_hand():
    r = adjust_pvalues([0.01, 0.04, 0.03])
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 with running maximum
    assert r.p_adjusted == pytest.approx((0.03, 0.06, 0.06))


def test_missing_pvalues_are_kept_out_of_the_family():
    r = adjust_pvalues([0.01, np.nan, 0.04])
    assert np.isnan(r.p_adjusted[1])
    assert r.p_adjusted[0] == pytest.approx(0.02)


def test_srm_flags_52_48_and_passes_50_50():
    bad = sample_ratio_mismatch([10400, 9600])
    good = sample_ratio_mismatch([10000, 10000])
    assert bad.mismatch and not good.mismatch
    assert bad.statistic == pytest.approx(2 * 400**2 / 10000)  # sum (O - E)^2 / E
    assert bad.p_value == pytest.approx(stats.chi2.sf(32.0, 1))
    assert good.p_value == pytest.approx(1.0)


def test_srm_against_planned_unequal_shares():
    r = sample_ratio_mismatch([9000, 1000], [0.9, 0.1])
    assert not r.mismatch and r.expected == (9000.0, 1000.0)
    assert sample_ratio_mismatch([9200, 800], [0.9, 0.1]).mismatch
    ref = stats.chisquare([9200, 800], [9000, 1000])
    assert sample_ratio_mismatch([9200, 800], [0.9, 0.1]).p_value == pytest.approx(ref.pvalue)
