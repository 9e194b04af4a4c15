#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

// The statistics of few runs: t-based intervals and tests (Welch's and paired), exact tests for
// rates (Fisher, Clopper-Pearson), an exact rank test that takes right-censored values, Holm's
// correction, Hedges' g, and the percentile bootstrap (kept as an option for >= 10 runs a group).
// Distributions come from Boost.Math; the numbers are checked against scipy.stats
// (tests/stats/scipy_cases.json) and the intervals against their promised coverage.
namespace actlab {

inline double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / values.size();
}

// Sample standard deviation (n - 1); 0 for fewer than two values.
inline double sample_std(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double mean = mean_of(values);
  double variance = 0;
  for (double v : values) variance += (v - mean) * (v - mean);
  return std::sqrt(variance / (values.size() - 1));
}

// FNV-1a: a stable 64-bit hash for run ids and seeds derived from text.
inline uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

// A test of H0: effect = null against the two-sided alternative, with the effect's interval at
// `level`. `p_greater` and `p_less` are the one-sided p-values (H1: effect > null, < null), which
// two one-sided tests of equivalence use.
struct TestResult {
  double estimate = 0;
  double low = 0, high = 0;
  double p = 1, p_greater = 1, p_less = 1;
  double df = 0;           // degrees of freedom of a t test, 0 otherwise
  bool no_spread = false;  // a t test over values without spread: undefined, p = 1
};

// Welch's t test and interval for mean(a) - mean(b) (unequal variances, Satterthwaite's df);
// scipy.stats.ttest_ind(a, b, equal_var=False). Needs >= 2 values in each group.
TestResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b, double null,
                        double level = 0.95);

// The paired t test and interval for the mean of `differences` (a_i - b_i by seed);
// scipy.stats.ttest_rel(a, b). Needs >= 2 differences.
TestResult paired_t_test(const std::vector<double>& differences, double null, double level = 0.95);

// Fisher's exact test of equal rates in the 2x2 table (k_a of n_a, k_b of n_b): the two-sided
// p-value sums the tables no more likely than the observed one (scipy.stats.fisher_exact).
// The estimate is rate_a - rate_b; low/high are not set (see clopper_pearson).
TestResult fisher_exact_test(int k_a, int n_a, int k_b, int n_b);

// The exact (Clopper-Pearson) interval of a rate k / n.
struct RateInterval {
  double low = 0, high = 1;
};
RateInterval clopper_pearson(int k, int n, double level = 0.95);

// A value that may be right-censored: the run never reached the target, so the true value is at
// least `value` (its length).
struct MaybeCensored {
  double value = 0;
  bool censored = false;
};

// The exact permutation test of H0: a is distributed as b' (b' = b * null for a ratio, b + null
// for a difference) on Gehan's statistic, for groups with ties and censored values: a pair counts
// +1 for "a > b'" only when the order is certain whatever the censored values are, -1 for
// "a < b'" likewise, 0 otherwise; the p-values count the splits of the pooled sample whose
// statistic is at least (at most) the observed one. Without ties or censoring it is the exact
// Mann-Whitney test. `ratio` chooses how `null` applies. No estimate or interval is set.
TestResult censored_rank_test(const std::vector<MaybeCensored>& a,
                              const std::vector<MaybeCensored>& b, double null, bool ratio);

// Holm's step-down adjustment of a family of p-values (same order as given).
std::vector<double> holm_adjust(const std::vector<double>& p);

// Tarone's rule for a family of discrete tests: given each test's smallest achievable p-value
// (fixed by the design: 0 for a t test, 2 / C(m + n, n) for a two-sided rank test of m vs n
// runs, Fisher's smallest p for the table's margins), the tests that can reach significance:
// the smallest K with #{i : min_p[i] <= alpha / K} <= K, and those tests. Excluding the others
// loses nothing (they cannot be rejected) and keeps the family's error rate at alpha.
std::vector<bool> tarone_testable(const std::vector<double>& min_p, double alpha);

// The smallest two-sided p-value the exact rank test of m vs n runs can give: 2 / C(m + n, n).
double rank_test_min_p(size_t m, size_t n);

// The smallest two-sided p-value Fisher's test can give for tables with these margins.
double fisher_min_p(int k_a, int n_a, int k_b, int n_b);

// Hedges' g: the difference of means over the pooled standard deviation, with the small-sample
// correction J = 1 - 3 / (4 (n_a + n_b) - 9). NaN when it is undefined (no spread, < 2 values).
double hedges_g(const std::vector<double>& a, const std::vector<double>& b);

// The percentile bootstrap of effect(mean(a'), mean(b')) (a ratio or a difference), each group
// resampled with replacement; `p` is twice the smaller share of resampled effects on either side
// of `null`. Coverage with 3 runs a group is about 81% for a nominal 95%: the verdicts use it only
// with >= 10 runs a group. The generator is seeded by `seed`; indices come from mt19937_64's raw
// output (specified exactly by the standard) so every standard library gives the same interval.
TestResult bootstrap_test(const std::vector<double>& a, const std::vector<double>& b, bool ratio,
                          double null, uint64_t seed, double level = 0.95, int resamples = 10000);

}  // namespace actlab
