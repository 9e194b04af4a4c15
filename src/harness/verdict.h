#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/run_set.h"
#include "src/harness/statistics.h"

namespace actlab {

// One group of a verdict: its runs' values in seed order (a censored value is the run's length,
// a lower bound: the target was never reached).
struct VerdictGroup {
  std::vector<std::string> seeds;
  std::vector<double> values;
  std::vector<bool> censored;
  double mean = 0, sd = 0;
  size_t censored_count() const;
};

// One comparison at a neighbouring rate ([tune] neighbours): side's first-seed run at a candidate
// next to its chosen value against the other side's run of the same seed at its chosen value.
struct NeighbourEffect {
  std::string side;           // "a" or "b": the side whose rate moved
  std::string option, value;  // the tuned option and the neighbour's value, e.g. "lr", "0.01"
  std::string seed;
  std::optional<double> a, b;  // the two runs' values (a censored value is a lower bound)
  bool a_censored = false, b_censored = false;
  std::optional<double> effect;  // a / b or a - b, as the verdict's effect
  std::string bound;             // ">=" / "<=" when one side is censored
  std::string missing;           // why there is no effect: "not finished", "diverged", ...
};

// The outcome of one verdict, from the statistics of experiments/README.md ("Verdicts"):
// HOLDS / FAILS: the test rejects (Holm-adjusted p < 0.05 over the file's verdicts) on the
// claimed / the other side; INCONCLUSIVE: it does not, or a value is missing, or a group has
// fewer than 2 runs; NOT TRAINED: a speed or accuracy verdict whose group has a run that did not
// leave chance (final training error >= the file's trained_below), unless the verdict
// expects_untrained; NO DATA: a group has no finished run, or no run records the metric.
struct VerdictResult {
  VerdictSpec spec;
  std::string scope;  // "init=auto" for a verdict repeated `per` a column, else ""
  std::vector<std::pair<std::string, std::string>> scope_filter;  // the same as pairs
  VerdictGroup a, b;
  std::string kind;      // "superiority" | "equivalence" | "rates"
  std::string test;      // e.g. "paired t on log ratios, 5 pairs by seed"
  std::string estimand;  // e.g. "ratio of geometric means"
  bool has_effect = false;
  double effect = 0;
  std::string bound;  // "" or ">=" / "<=": the effect with censored runs at their length
  bool has_interval = false;
  double low = 0, high = 0, level = 0.95;
  bool tested = false;  // a p-value entered the family's correction
  double p = 0, p_adjusted = 0;
  double min_p = 0;  // the smallest p the test can give with these runs (Tarone's rule)
  int family = 0;    // how many tested verdicts the correction ran over
  double hedges_g = 0;
  bool has_hedges_g = false;
  RateInterval rate_a, rate_b;  // kind "rates": each group's rate, Clopper-Pearson 95%
  std::string claimed;          // the outcome if the test rejects: HOLDS or FAILS
  std::string outcome;          // HOLDS | FAILS | INCONCLUSIVE | NOT TRAINED | NO DATA
  std::string note;             // why INCONCLUSIVE / NOT TRAINED / NO DATA, what was listed apart
  std::vector<NeighbourEffect> neighbours;  // verdict_neighbours.h; outside the test
};

// Evaluates every verdict of `experiment` over the finished runs (diverged ones too where the
// verdict says include_diverged), then Holm's correction over the verdicts that were tested.
// Throws Error when a group pools runs that differ in a grid axis other than seed.
std::vector<VerdictResult> evaluate_verdicts(const Experiment& experiment, const RunSet& runs);

// A text table: outcome, the sentence, each group's values by seed with mean, SD and n, the test,
// the effect with its interval, raw and adjusted p, Hedges' g, and what was expected.
std::string verdict_table(const std::vector<VerdictResult>& verdicts);

nlohmann::json to_json(const VerdictResult& verdict);

// What `actlab verdict`, RESULTS.md and the report print of a verdict, in the same words:
// "ratio of geometric means 1.53 [95% CI 1.2, 1.9]", "ratio of means >= 6.7 (censored)", "-";
std::string effect_text(const VerdictResult& verdict);
// "seeds 0 1 2: 0.61 0.58 >=12; mean 0.597, SD 0.015, n=3" (">=" marks a censored value);
std::string group_text(const VerdictGroup& group);
// "p 0.0012, Holm 0.0048 (8 tests); g 2.1", or "" when untested.
std::string p_text(const VerdictResult& verdict);

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
