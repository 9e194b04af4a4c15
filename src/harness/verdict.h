#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/run_set.h"

namespace actlab {

// HOLDS: the whole 95% interval of the effect satisfies the expected relation; FAILS: none of it
// does; INCONCLUSIVE: it straddles the threshold, or fewer than 2 runs (seeds) in a group, or a
// run never reached the metric; NO DATA: a group has no finished run.
struct VerdictResult {
  VerdictSpec spec;
  std::string scope;         // "init=auto" for a verdict repeated `per` a column, else ""
  std::vector<double> a, b;  // the groups' values, one per finished run
  double mean_a = 0, mean_b = 0;
  double effect = 0, low = 0, high = 0;  // mean effect and its 95% bootstrap interval
  bool has_interval = false;
  std::string outcome;  // HOLDS | FAILS | INCONCLUSIVE | NO DATA
  std::string note;     // why INCONCLUSIVE / NO DATA, or what was listed apart
};

// Evaluates every verdict of `experiment` over the finished runs (diverged ones too where the
// verdict says include_diverged). The interval is a percentile bootstrap over runs: each group
// resampled with replacement 10,000 times, the effect of the resampled means, its 2.5% and 97.5%
// quantiles; the generator is seeded by the verdict's text, so the same records give the same
// interval. Throws Error when a group pools runs that differ in a grid axis other than seed.
std::vector<VerdictResult> evaluate_verdicts(const Experiment& experiment, const RunSet& runs);

// The bootstrap on its own, for tests: effect(mean(a'), mean(b')) quantiles.
struct Interval {
  double low = 0, high = 0;
};
Interval bootstrap_interval(const std::vector<double>& a, const std::vector<double>& b,
                            const std::string& effect, uint64_t seed, int resamples = 10000);

// A text table: outcome, the sentence, the groups' means (n), the effect with its interval, and
// what was expected.
std::string verdict_table(const std::vector<VerdictResult>& verdicts);

nlohmann::json to_json(const VerdictResult& verdict);

// "ratio >= 1.5", "difference between -0.01 and 0.01".
std::string expectation(const VerdictSpec& spec);

// How verdicts print a mean, an effect or a bound (4 significant digits), and a group's filter
// ("activation=relu,lr=0.1"): `actlab verdict` and RESULTS.md show the same text.
std::string verdict_number(double value);
std::string describe_filter(const std::vector<std::pair<std::string, std::string>>& filter);

// A total order for grid values as text (scopes of `per`, seeds): finite numbers (the whole text
// read as one) first, by value, then everything else by text; ties in value ("1" and "1.0") fall
// back to the text.
std::tuple<int, double, std::string> value_order_key(const std::string& text);

}  // namespace actlab
