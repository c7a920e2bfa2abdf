"""Statistics for comparing marketing arms: tests, intervals, planning and selection.

Pure functions: arrays, numbers or DataFrames in, small frozen result objects
(or a DataFrame for the comparison table) out. Differences are always
``arm - control``.
"""

from sim.analysis.capped import Cap, choose_cap, compare_means_capped
from sim.analysis.compare import COLUMNS, Guardrail, compare, compare_arms, compare_replications, is_proportion, srm
from sim.analysis.cuped import CupedResult, compare_means_cuped, cuped_adjust, cuped_theta
from sim.analysis.means import (
    MeanComparison,
    RatioComparison,
    RatioEstimate,
    compare_means,
    compare_ratios,
    ratio_estimate,
    welch_pvalues,
)
from sim.analysis.money import IncrementalProfit, customer_profit, incremental_profit
from sim.analysis.multiple import AdjustedPValues, SRMResult, adjust_pvalues, sample_ratio_mismatch
from sim.analysis.noninferiority import (
    NonInferiorityResult,
    noninferiority_means,
    noninferiority_proportions,
)
from sim.analysis.permutation import PermutationTest, permutation_welch
from sim.analysis.power import (
    SampleSize,
    comparison_alpha,
    detectable_effect_means,
    detectable_effect_proportions,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from sim.analysis.proportions import (
    ProportionComparison,
    RateInterval,
    compare_proportions,
    rate_interval,
    ztest_pvalues,
)
from sim.analysis.selection import PairedDifference, SelectionResult, kim_nelson, paired_difference
from sim.analysis.sequential import (
    ConfidenceSequence,
    confidence_sequence_means,
    confidence_sequence_proportions,
    mixture_variance_for,
    normal_mixture_halfwidth,
)

__all__ = [
    "AdjustedPValues", "COLUMNS", "Cap", "ConfidenceSequence", "CupedResult", "Guardrail",
    "IncrementalProfit", "MeanComparison", "NonInferiorityResult", "PairedDifference", "PermutationTest",
    "ProportionComparison", "RateInterval", "RatioComparison", "RatioEstimate",
    "SRMResult", "SampleSize", "SelectionResult",
    "adjust_pvalues", "choose_cap", "compare", "compare_arms", "compare_means", "compare_means_capped", "compare_means_cuped",
    "compare_proportions", "compare_ratios", "compare_replications", "comparison_alpha",
    "confidence_sequence_means", "confidence_sequence_proportions", "cuped_adjust",
    "cuped_theta", "customer_profit", "detectable_effect_means",
    "detectable_effect_proportions", "incremental_profit", "is_proportion", "kim_nelson",
    "mixture_variance_for", "noninferiority_means", "noninferiority_proportions",
    "normal_mixture_halfwidth", "paired_difference", "permutation_welch", "power_means", "power_proportions",
    "ratio_estimate", "rate_interval", "sample_ratio_mismatch", "sample_size_means",
    "sample_size_proportions", "srm", "welch_pvalues", "ztest_pvalues",
]
