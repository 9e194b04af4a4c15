#include "src/harness/statistics.h"

#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace actlab {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The t test of (estimate - null) / se with df degrees of freedom, and estimate's interval.
TestResult t_test(double estimate, double se, double df, double null, double level) {
  TestResult result;
  result.estimate = estimate;
  result.df = df;
  if (!(se > 0) || !std::isfinite(df)) {
    // No spread between runs (every value, or every paired difference, the same): the t
    // statistic is undefined, and a value measured on a coarse grid (quarter epochs, a fraction
    // stuck at 1) says nothing about the spread seeds would show. No test, no interval.
    result.low = result.high = kNaN;
    result.df = 0;
    result.no_spread = true;
    return result;
  }
  const boost::math::students_t distribution(df);
  const double t = (estimate - null) / se;
  result.p_greater = boost::math::cdf(boost::math::complement(distribution, t));
  result.p_less = boost::math::cdf(distribution, t);
  result.p = std::min(1.0, 2 * std::min(result.p_greater, result.p_less));
  const double q = boost::math::quantile(distribution, 0.5 + level / 2);
  result.low = estimate - q * se;
  result.high = estimate + q * se;
  return result;
}

double variance_of(const std::vector<double>& values) {
  const double sd = sample_std(values);
  return sd * sd;
}

// Gehan's comparison of two values that may be lower bounds: +1 when x > y is certain whatever
// the censored values are (y exact, x or its lower bound above it), -1 when x < y is certain
// (x exact and below y or y's lower bound), 0 when the order is open or the values tie.
int gehan_score(const MaybeCensored& x, const MaybeCensored& y) {
  if (!y.censored && x.value > y.value) return 1;
  if (!x.censored && x.value < y.value) return -1;
  return 0;
}

// Counts of the subsets of `scores` of each size up to `size` by their sum: counts[k][s + offset]
// is how many k-subsets sum to s. Doubles: C(160, 80) is about 1e47.
std::vector<std::vector<double>> subset_sum_counts(const std::vector<int>& scores, size_t size,
                                                   int offset) {
  const size_t width = 2 * static_cast<size_t>(offset) + 1;
  std::vector<std::vector<double>> counts(size + 1, std::vector<double>(width, 0.0));
  counts[0][offset] = 1;
  for (const int score : scores) {
    for (size_t k = size; k >= 1; --k) {
      for (size_t s = 0; s < width; ++s) {
        const long from = static_cast<long>(s) - score;
        if (from >= 0 && from < static_cast<long>(width)) counts[k][s] += counts[k - 1][from];
      }
    }
  }
  return counts;
}

}  // namespace

TestResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b, double null,
                        double level) {
  const double va = variance_of(a) / a.size(), vb = variance_of(b) / b.size();
  const double se = std::sqrt(va + vb);
  const double df =
      (va + vb) * (va + vb) / (va * va / (a.size() - 1.0) + vb * vb / (b.size() - 1.0));
  return t_test(mean_of(a) - mean_of(b), se, df, null, level);
}

TestResult paired_t_test(const std::vector<double>& differences, double null, double level) {
  const double n = static_cast<double>(differences.size());
  return t_test(mean_of(differences), sample_std(differences) / std::sqrt(n), n - 1, null, level);
}

TestResult fisher_exact_test(int k_a, int n_a, int k_b, int n_b) {
  TestResult result;
  result.estimate = static_cast<double>(k_a) / n_a - static_cast<double>(k_b) / n_b;
  result.low = result.high = kNaN;
  const unsigned total = n_a + n_b, events = k_a + k_b;
  const boost::math::hypergeometric_distribution<double> table(events, n_a, total);
  const int lowest = std::max(0, n_a + static_cast<int>(events) - static_cast<int>(total));
  const int highest = std::min(static_cast<int>(events), n_a);
  const double observed = boost::math::pdf(table, k_a);
  double two_sided = 0, greater = 0, less = 0;
  for (int x = lowest; x <= highest; ++x) {
    const double p = boost::math::pdf(table, x);
    if (p <= observed * (1 + 1e-7)) two_sided += p;  // R's tolerance for equal probabilities
    if (x >= k_a) greater += p;
    if (x <= k_a) less += p;
  }
  result.p = std::min(1.0, two_sided);
  result.p_greater = std::min(1.0, greater);
  result.p_less = std::min(1.0, less);
  return result;
}

RateInterval clopper_pearson(int k, int n, double level) {
  const double alpha = 1 - level;
  RateInterval interval;
  interval.low = k == 0 ? 0.0 : boost::math::ibeta_inv(k, n - k + 1, alpha / 2);
  interval.high = k == n ? 1.0 : boost::math::ibeta_inv(k + 1, n - k, 1 - alpha / 2);
  return interval;
}

TestResult censored_rank_test(const std::vector<MaybeCensored>& a,
                              const std::vector<MaybeCensored>& b, double null, bool ratio) {
  // The pooled sample, b shifted to b' (under H0 a and b' are exchangeable).
  std::vector<MaybeCensored> pooled(a);
  for (const auto& y : b) pooled.push_back({ratio ? y.value * null : y.value + null, y.censored});
  // Gehan's statistic G = sum over pairs (a, b') of the scores. The scores are antisymmetric, so
  // for any split of the pooled sample G is the sum of its a-side members' scores against all
  // others: its permutation distribution is that of a random |a|-subset's sum of those row sums,
  // counted exactly (ties and open orders included, no correction needed).
  std::vector<int> row(pooled.size(), 0);
  for (size_t i = 0; i < pooled.size(); ++i) {
    for (size_t j = 0; j < pooled.size(); ++j) row[i] += gehan_score(pooled[i], pooled[j]);
  }
  int observed = 0;
  for (size_t i = 0; i < a.size(); ++i) observed += row[i];
  const int offset = static_cast<int>(a.size() * pooled.size());
  const auto counts = subset_sum_counts(row, a.size(), offset);
  const auto& sums = counts[a.size()];
  const double total = std::accumulate(sums.begin(), sums.end(), 0.0);
  double greater = 0, less = 0;
  for (size_t s = 0; s < sums.size(); ++s) {
    const int sum = static_cast<int>(s) - offset;
    if (sum >= observed) greater += sums[s];
    if (sum <= observed) less += sums[s];
  }
  TestResult result;
  result.estimate = result.low = result.high = kNaN;
  result.p_greater = std::min(1.0, greater / total);
  result.p_less = std::min(1.0, less / total);
  result.p = std::min(1.0, 2 * std::min(result.p_greater, result.p_less));
  return result;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> adjusted(p.size());
  double running = 0;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    running = std::max(running, std::min(1.0, (p.size() - rank) * p[order[rank]]));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

std::vector<bool> tarone_testable(const std::vector<double>& min_p, double alpha) {
  std::vector<bool> testable(min_p.size(), false);
  for (size_t k = 1; k <= min_p.size(); ++k) {
    const auto reachable = static_cast<size_t>(
        std::count_if(min_p.begin(), min_p.end(), [&](double p) { return p <= alpha / k; }));
    if (reachable <= k) {
      for (size_t i = 0; i < min_p.size(); ++i) testable[i] = min_p[i] <= alpha / k;
      return testable;
    }
  }
  return testable;
}

double rank_test_min_p(size_t m, size_t n) {
  double orderings = 1;  // C(m + n, n), as a double: no overflow for run counts
  for (size_t i = 1; i <= n; ++i) orderings = orderings * (m + i) / i;
  return std::min(1.0, 2 / orderings);
}

double fisher_min_p(int k_a, int n_a, int k_b, int n_b) {
  const int events = k_a + k_b;
  double smallest = 1;
  for (int x = std::max(0, events - n_b); x <= std::min(events, n_a); ++x)
    smallest = std::min(smallest, fisher_exact_test(x, n_a, events - x, n_b).p);
  return smallest;
}

double hedges_g(const std::vector<double>& a, const std::vector<double>& b) {
  const double na = a.size(), nb = b.size();
  if (na < 2 || nb < 2) return kNaN;
  const double pooled =
      std::sqrt(((na - 1) * variance_of(a) + (nb - 1) * variance_of(b)) / (na + nb - 2));
  if (!(pooled > 0)) return kNaN;
  const double correction = 1 - 3 / (4 * (na + nb) - 9);
  return correction * (mean_of(a) - mean_of(b)) / pooled;
}

TestResult bootstrap_test(const std::vector<double>& a, const std::vector<double>& b, bool ratio,
                          double null, uint64_t seed, double level, int resamples) {
  auto effect = [ratio](double x, double y) { return ratio ? x / y : x - y; };
  TestResult result;
  result.estimate = effect(mean_of(a), mean_of(b));
  // The modulo bias of raw-output indices is below 1e-17 for a handful of runs.
  std::mt19937_64 generator(seed);
  std::vector<double> effects;
  effects.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    double sum_a = 0, sum_b = 0;
    for (size_t i = 0; i < a.size(); ++i) sum_a += a[generator() % a.size()];
    for (size_t i = 0; i < b.size(); ++i) sum_b += b[generator() % b.size()];
    const double value = effect(sum_a / a.size(), sum_b / b.size());
    if (!std::isfinite(value)) {  // a ratio over a resampled mean of 0: no interval
      result.low = result.high = kNaN;
      result.p = result.p_greater = result.p_less = 1;
      return result;
    }
    effects.push_back(value);
  }
  std::sort(effects.begin(), effects.end());
  auto quantile = [&](double q) {
    const double position = q * (effects.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, effects.size() - 1);
    const double weight = position - below;
    return effects[below] * (1 - weight) + effects[above] * weight;
  };
  result.low = quantile((1 - level) / 2);
  result.high = quantile((1 + level) / 2);
  const double share_below =
      static_cast<double>(
          std::count_if(effects.begin(), effects.end(), [null](double e) { return e <= null; })) /
      effects.size();
  const double share_above =
      static_cast<double>(
          std::count_if(effects.begin(), effects.end(), [null](double e) { return e >= null; })) /
      effects.size();
  result.p_greater = share_below;  // small when nearly every resample lies above null
  result.p_less = share_above;
  result.p = std::min(1.0, 2 * std::min(share_below, share_above));
  return result;
}

}  // namespace actlab
