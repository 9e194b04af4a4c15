// The test each kind of verdict gets (experiments/README.md, "Which test, and why").
#include "src/harness/verdict_judges.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "src/core/spec.h"

namespace actlab::verdict_judges {

namespace {

bool satisfies(double value, const std::string& relation, double threshold) {
  if (relation == ">") return value > threshold;
  if (relation == ">=") return value >= threshold;
  if (relation == "<") return value < threshold;
  return value <= threshold;
}

std::vector<double> logs(const std::vector<double>& values) {
  std::vector<double> out;
  for (double v : values) out.push_back(std::log(v));
  return out;
}

// Both groups' values paired by seed, when each seed appears once in each and the sets agree.
bool pairable(const VerdictGroup& a, const VerdictGroup& b) {
  std::vector<std::string> sa = a.seeds, sb = b.seeds;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  return sa == sb && std::adjacent_find(sa.begin(), sa.end()) == sa.end() && !sa.empty();
}

// Each seed gives the same value in a and in b (the two arms computed the same thing, e.g. a
// rounding that makes an option inert), while the values differ between seeds.
bool identical_by_seed(const VerdictGroup& a, const VerdictGroup& b) {
  std::map<std::string, double> by_seed;
  for (size_t i = 0; i < b.values.size(); ++i) by_seed[b.seeds[i]] = b.values[i];
  for (size_t i = 0; i < a.values.size(); ++i)
    if (a.values[i] != by_seed[a.seeds[i]]) return false;
  return true;
}

// Identical pairs with spread between seeds: the difference is exactly 0 (the ratio exactly 1)
// in every seed. The t test is undefined (no spread of the differences); the exact sign test is
// not: all n differences lie on one side of the threshold, p = 0.5^n one-sided (each bound of an
// equivalence band), 2 x 0.5^n two-sided (a superiority verdict), which is also the smallest p
// it can give (Tarone's rule sees the real n). An exact value on the threshold or a band's edge
// separates nothing: no test. A value stuck on a coarse grid (every run the same) has no spread
// between seeds and never gets here.
void judge_identical(VerdictResult& r, bool ratio, bool equivalence,
                     std::vector<std::string>& notes) {
  const double exact = ratio ? 1 : 0;
  r.effect = r.low = r.high = exact;
  r.has_effect = r.has_interval = true;
  const std::string what =
      fmt::format("identical in every seed (seed SD {}): the {} is exactly {}",
                  verdict_number(r.a.sd), ratio ? "ratio" : "difference", format_number(exact));
  const bool on_edge = exact == r.spec.threshold || (equivalence && exact == r.spec.upper);
  if (on_edge) {
    r.outcome = "INCONCLUSIVE";
    notes.push_back(what + ", the expectation's own bound: no test can separate them");
    return;
  }
  const double n = static_cast<double>(r.a.values.size());
  r.test = fmt::format("exact sign test: the same value in both groups in each of {} seeds",
                       r.a.values.size());
  r.tested = true;
  r.p = r.min_p = equivalence ? std::pow(0.5, n) : std::min(1.0, 2 * std::pow(0.5, n));
  r.claimed = (equivalence ? exact > r.spec.threshold && exact < r.spec.upper
                           : satisfies(exact, r.spec.relation, r.spec.threshold))
                  ? "HOLDS"
                  : "FAILS";
  notes.push_back(what);
}

// kind "rates": Fisher's exact test of equal rates, each rate with its Clopper-Pearson interval.
}  // namespace

void judge_rates(VerdictResult& r) {
  const double neutral = r.spec.effect == "ratio" ? 1 : 0;
  auto events = [](const VerdictGroup& g) {
    return static_cast<int>(
        std::count_if(g.values.begin(), g.values.end(), [](double v) { return v >= 0.5; }));
  };
  const int ka = events(r.a), kb = events(r.b);
  const int na = static_cast<int>(r.a.values.size()), nb = static_cast<int>(r.b.values.size());
  r.kind = "rates";
  r.test = fmt::format("Fisher's exact test of equal rates ({} of {} vs {} of {})", ka, na, kb, nb);
  r.rate_a = clopper_pearson(ka, na);
  r.rate_b = clopper_pearson(kb, nb);
  const double rate_a = static_cast<double>(ka) / na, rate_b = static_cast<double>(kb) / nb;
  r.estimand = r.spec.effect == "ratio" ? "ratio of rates" : "difference of rates";
  r.effect = r.spec.effect == "ratio" ? rate_a / rate_b : rate_a - rate_b;
  r.has_effect = std::isfinite(r.effect);
  if (r.spec.relation == "between" || r.spec.threshold != neutral) {
    r.outcome = "INCONCLUSIVE";
    r.note = fmt::format(
        "a rate is judged by Fisher's exact test of equal rates: write expect = "
        "\"{} > {}\" or \"{} < {}\"",
        r.spec.effect, neutral, r.spec.effect, neutral);
    return;
  }
  const auto test = fisher_exact_test(ka, na, kb, nb);
  r.tested = true;
  r.p = test.p;
  r.min_p = fisher_min_p(ka, na, kb, nb);
  r.claimed = satisfies(rate_a - rate_b, r.spec.relation, 0) ? "HOLDS" : "FAILS";
}

// Groups with censored values: the exact rank test with Gehan's conservative comparisons; the
// effect is bounded (censored runs at their length), never given an interval.
namespace {

// The exact rank test of a against b (Gehan's conservative comparisons where a value is a lower
// bound); `censored_means` says what a lower bound is, `no_equivalence` why "between" is not
// judged, for the notes.
void rank_test(VerdictResult& r, const std::string& censored_means,
               const std::string& no_equivalence) {
  const bool ratio = r.spec.effect == "ratio";
  r.kind = r.spec.relation == "between" ? "equivalence" : "superiority";
  const size_t ca = r.a.censored_count(), cb = r.b.censored_count();
  r.has_effect = std::isfinite(r.effect) && (ca == 0 || cb == 0);
  if (ca + cb > 0) {
    r.bound = ca > 0 ? ">=" : "<=";
    std::vector<std::string> notes;
    if (ca > 0) notes.push_back(fmt::format("{} of {} runs in a", ca, r.a.values.size()));
    if (cb > 0) notes.push_back(fmt::format("{} of {} runs in b", cb, r.b.values.size()));
    r.note = join(notes, " and ") + " " + censored_means;
  }
  if (r.spec.relation == "between") {
    r.outcome = "INCONCLUSIVE";
    r.note += (r.note.empty() ? "" : "; ") + no_equivalence;
    return;
  }
  std::vector<MaybeCensored> a, b;
  for (size_t i = 0; i < r.a.values.size(); ++i) a.push_back({r.a.values[i], r.a.censored[i]});
  for (size_t i = 0; i < r.b.values.size(); ++i) b.push_back({r.b.values[i], r.b.censored[i]});
  const auto test = censored_rank_test(a, b, r.spec.threshold, ratio);
  r.test = fmt::format("exact Mann-Whitney test of a against b {} {}{}", ratio ? "x" : "+",
                       format_number(r.spec.threshold),
                       ca + cb > 0 ? ", censored pairs counted against each side" : "");
  r.tested = true;
  r.p = test.p;
  r.min_p = rank_test_min_p(a.size(), b.size());
  r.claimed = (test.p_greater < test.p_less) == (r.spec.relation[0] == '>') ? "HOLDS" : "FAILS";
}

}  // namespace

void judge_censored(VerdictResult& r) {
  const bool ratio = r.spec.effect == "ratio";
  r.estimand = ratio ? "ratio of means" : "difference of means";
  r.effect = ratio ? r.a.mean / r.b.mean : r.a.mean - r.b.mean;
  rank_test(r,
            "never reached the target (censored at their length: the true value is at least "
            "that)",
            "equivalence cannot be shown with censored runs");
}

void judge_grid_values(VerdictResult& r) {
  const bool ratio = r.spec.effect == "ratio";
  auto log_mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += std::log(x);
    return sum / static_cast<double>(v.size());
  };
  r.estimand = ratio ? "ratio of geometric means" : "difference of means";
  r.effect = ratio ? std::exp(log_mean(r.a.values) - log_mean(r.b.values)) : r.a.mean - r.b.mean;
  rank_test(r, "at the grid's largest value (the true value is at least that)",
            "equivalence is not judged on values picked from a grid");
}

// Exact values in both groups: a t test (paired by seed where it can be, on log values for a
// ratio), or the bootstrap where the file asks for it and both groups have >= 10 runs.
void judge_values(VerdictResult& r, std::vector<std::string>& notes) {
  const bool ratio = r.spec.effect == "ratio";
  const bool equivalence = r.spec.relation == "between";
  r.kind = equivalence ? "equivalence" : "superiority";
  r.level = equivalence ? 0.90 : 0.95;
  if (r.a.values.size() < 2 || r.b.values.size() < 2) {
    r.outcome = "INCONCLUSIVE";
    notes.push_back("fewer than 2 runs (seeds) in a group: no test");
    r.effect = ratio ? r.a.mean / r.b.mean : r.a.mean - r.b.mean;
    r.has_effect = std::isfinite(r.effect);
    r.estimand = ratio ? "ratio of means" : "difference of means";
    return;
  }
  const auto positive = [](const VerdictGroup& g) {
    return std::all_of(g.values.begin(), g.values.end(), [](double v) { return v > 0; });
  };
  if (ratio && !(positive(r.a) && positive(r.b))) {
    r.outcome = "INCONCLUSIVE";
    notes.push_back(
        "a ratio is tested on the log scale and needs positive values: some are 0 "
        "or negative, so state this verdict as a difference");
    return;
  }
  // Hedges' g on the scale of the test: log values for a ratio.
  r.hedges_g =
      ratio ? hedges_g(logs(r.a.values), logs(r.b.values)) : hedges_g(r.a.values, r.b.values);
  r.has_hedges_g = std::isfinite(r.hedges_g);
  const bool paired = r.spec.pairing != "none" && pairable(r.a, r.b);
  if (r.spec.pairing == "seed" && !paired) {
    r.outcome = "INCONCLUSIVE";
    notes.push_back("pairing = \"seed\", but the groups do not have the same seeds");
    return;
  }
  const bool bootstrap =
      r.spec.interval == "bootstrap" && r.a.values.size() >= 10 && r.b.values.size() >= 10;
  if (r.spec.interval == "bootstrap" && !bootstrap)
    notes.push_back("bootstrap asked for, but a group has fewer than 10 runs: t interval used");
  auto scale = [ratio](double v) { return ratio ? std::log(v) : v; };
  auto unscale = [ratio](double v) { return ratio ? std::exp(v) : v; };
  auto run_test = [&](double null) {
    if (bootstrap) {
      return bootstrap_test(r.a.values, r.b.values, ratio, null, fnv1a(r.spec.says + "|" + r.scope),
                            r.level);
    }
    const auto xa = ratio ? logs(r.a.values) : r.a.values;
    const auto xb = ratio ? logs(r.b.values) : r.b.values;
    if (!paired) return welch_t_test(xa, xb, scale(null), r.level);
    std::map<std::string, double> by_seed;
    for (size_t i = 0; i < xb.size(); ++i) by_seed[r.b.seeds[i]] = xb[i];
    std::vector<double> differences;
    for (size_t i = 0; i < xa.size(); ++i) differences.push_back(xa[i] - by_seed[r.a.seeds[i]]);
    return paired_t_test(differences, scale(null), r.level);
  };
  if (bootstrap) {
    r.test = fmt::format("percentile bootstrap of the {}, 10,000 resamples",
                         ratio ? "ratio of means" : "difference of means");
    r.estimand = ratio ? "ratio of means" : "difference of means";
  } else {
    r.test = fmt::format("{}{}", paired ? "paired t" : "Welch's t", ratio ? " on log values" : "");
    if (paired) r.test += fmt::format(", {} pairs by seed", r.a.values.size());
    r.estimand = ratio ? "ratio of geometric means" : "difference of means";
  }
  if (equivalence) r.test = "two one-sided tests (" + r.test + ")";
  const auto main = run_test(r.spec.threshold);  // the lower bound, for equivalence
  const bool on_log = ratio && !bootstrap;
  r.effect = on_log ? unscale(main.estimate) : main.estimate;
  r.low = on_log ? unscale(main.low) : main.low;
  r.high = on_log ? unscale(main.high) : main.high;
  r.has_effect = std::isfinite(r.effect);
  r.has_interval = std::isfinite(r.low) && std::isfinite(r.high);
  if (main.no_spread && paired && identical_by_seed(r.a, r.b) && r.a.sd > 0) {
    judge_identical(r, ratio, equivalence, notes);
    return;
  }
  if (main.no_spread) {
    r.outcome = "INCONCLUSIVE";
    notes.push_back(paired ? "every seed gives the same paired difference: no spread, no test"
                           : "every run in both groups gives the same value: no spread, no test");
    return;
  }
  r.tested = true;
  if (!equivalence) {
    r.p = main.p;
    r.claimed = satisfies(r.effect, r.spec.relation, r.spec.threshold) ? "HOLDS" : "FAILS";
    return;
  }
  // Equivalence: inside the band, p = max of the two one-sided p-values (the 90% interval inside
  // the band when p < 0.05); outside it, the one-sided test that the effect lies beyond the bound.
  const auto upper = run_test(r.spec.upper);
  if (r.effect < r.spec.threshold) {
    r.p = main.p_less;
    r.claimed = "FAILS";
  } else if (r.effect > r.spec.upper) {
    r.p = upper.p_greater;
    r.claimed = "FAILS";
  } else {
    r.p = std::max(main.p_greater, upper.p_less);
    r.claimed = "HOLDS";
  }
}

}  // namespace actlab::verdict_judges
