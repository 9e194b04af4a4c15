// [[verdict]] tables of an experiment file: the claim, the metric, the groups and the test.
#include <fmt/format.h>

#include <map>
#include <set>
#include <sstream>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/experiment_reading.h"
#include "src/harness/run_metric.h"
#include "src/harness/verdict_across.h"
#include "src/train/config.h"

namespace actlab::experiment_reading {

namespace {

// Whether all of `token` is a number (then in `out`).
bool whole_number(const std::string& token, double& out) {
  try {
    size_t used = 0;
    out = std::stod(token, &used);
    return used == token.size();
  } catch (const std::exception&) {
    return false;
  }
}

// "ratio >= 1.5" or "ratio between 0.8 and 1.25" -> effect, relation, threshold(s).
void parse_expectation(const Experiment& e, int line, const std::string& text, VerdictSpec& v) {
  std::istringstream in(text);
  std::string effect, relation, first, word, second, rest;
  in >> effect >> relation >> first;
  if (relation == "between") in >> word >> second;
  static const std::set<std::string> relations = {">", ">=", "<", "<=", "between"};
  const bool ok = (effect == "ratio" || effect == "difference") && relations.count(relation) &&
                  whole_number(first, v.threshold) &&
                  (relation != "between" ||
                   (word == "and" && whole_number(second, v.upper) && v.threshold < v.upper)) &&
                  !(in >> rest);
  if (!ok) {
    fail(e, line,
         fmt::format("expect = \"{}\" is not '<ratio|difference> <>|>=|<|<=> <number>' or "
                     "'<ratio|difference> between <low> and <high>' (low < high): write e.g. "
                     "expect = \"ratio >= 1.5\" (a / b) or expect = \"difference > 0\" (a - b)",
                     text));
  }
  if (effect == "ratio" && (v.threshold <= 0 || (relation == "between" && v.upper <= 0))) {
    fail(e, line,
         fmt::format("expect = \"{}\": a ratio is judged on the log scale, so its bounds must be "
                     "positive",
                     text));
  }
  v.effect = effect;
  v.relation = relation;
}

std::string choice(const Experiment& e, const toml::table& table, const char* key,
                   const std::set<std::string>& allowed, const std::string& fallback) {
  const auto* node = table.get(key);
  if (node == nullptr) return fallback;
  const auto value = node->value<std::string>();
  if (!node->is_string() || !allowed.count(*value)) {
    fail(e, line_of(*node),
         fmt::format("[[verdict]] {} must be one of {}", key,
                     join(std::vector<std::string>(allowed.begin(), allowed.end()))));
  }
  return *value;
}

}  // namespace

VerdictSpec read_verdict(const Experiment& e, const toml::node& node) {
  const int line = line_of(node);
  const auto* table = node.as_table();
  if (table == nullptr) fail(e, line, "[[verdict]] must be a table");
  static const std::set<std::string> keys = {"says",
                                             "metric",
                                             "metric_b",
                                             "a",
                                             "b",
                                             "expect",
                                             "per",
                                             "pool",
                                             "pairing",
                                             "interval",
                                             "include_diverged",
                                             "expects_untrained"};
  for (const auto& [key, value] : *table) {
    if (!keys.count(std::string(key.str()))) {
      fail(e, line_of(value),
           fmt::format("unknown key '{}' in [[verdict]]: valid are {}", key.str(),
                       join(std::vector<std::string>(keys.begin(), keys.end()))));
    }
  }
  VerdictSpec v;
  v.line = line;
  auto text = [&](const char* key) {
    const auto* value = table->get(key);
    if (value == nullptr || !value->is_string() || value->value<std::string>()->empty()) {
      fail(e, line, fmt::format("[[verdict]] needs {} = \"...\" (a non-empty string)", key));
    }
    return *value->value<std::string>();
  };
  v.says = text("says");
  v.metric = text("metric");
  if (table->contains("metric_b")) v.metric_b = text("metric_b");
  parse_expectation(e, line, text("expect"), v);
  for (const char* side : {"a", "b"}) {
    const auto* filter = (*table)[side].as_table();
    if (filter == nullptr) {
      fail(e, line,
           fmt::format("[[verdict]] needs {} = {{ option = value }}: the runs of group {}", side,
                       side));
    }
    (std::string(side) == "a" ? v.a : v.b) =
        filter_of(e, *filter, fmt::format("[[verdict]] {}", side), /*allow_arm_labels=*/true);
  }
  for (auto [key, names] : {std::pair{"per", &v.per}, std::pair{"pool", &v.pool}}) {
    if (const auto* list = (*table)[key].as_array()) {
      for (const auto& element : *list) {
        if (!element.is_string())
          fail(e, line, fmt::format("[[verdict]] {} must be a list of option names", key));
        names->push_back(*element.value<std::string>());
      }
    }
  }
  // Pooling configurations is a question about a whole grid ("in what share of it does a net
  // train?"), which only a rate answers: a mean over configurations answers none.
  if (!v.pool.empty() && !is_rate_metric(v.metric)) {
    fail(e, line,
         fmt::format("[[verdict]] pool is for a rate over a grid (metric diverged or "
                     "TARGET_reached), not '{}': remove pool, or add its options to per",
                     v.metric));
  }
  // A share that leaves diverged runs out is inflated by exactly the runs that did not train, so
  // a rate counts them unless told otherwise, and being told otherwise is refused.
  const auto across = parse_across(v.metric);
  v.include_diverged = is_rate_metric(v.metric) || across.has_value();
  for (auto [key, flag] : {std::pair{"include_diverged", &v.include_diverged},
                           std::pair{"expects_untrained", &v.expects_untrained}}) {
    if (const auto* node_value = table->get(key)) {
      if (!node_value->is_boolean()) {
        fail(e, line_of(*node_value), fmt::format("[[verdict]] {} must be true or false", key));
      }
      *flag = *node_value->value<bool>();
    }
  }
  if ((is_rate_metric(v.metric) || across) && !v.include_diverged) {
    fail(e, line,
         fmt::format("[[verdict]] '{}' is a rate over runs, diverged ones included: remove "
                     "include_diverged = false",
                     v.metric));
  }
  v.pairing = choice(e, *table, "pairing", {"auto", "seed", "none"}, "auto");
  v.interval = choice(e, *table, "interval", {"t", "bootstrap"}, "t");
  return v;
}

// "largest lr with RATE" needs a rate; "lr with lowest METRIC" a value; either an axis the grid
// varies, numeric, that the groups leave free.
void check_across(const Experiment& e, const VerdictSpec& v, const AcrossMetric& across,
                  const std::map<std::string, std::set<std::string>>& takes) {
  if (across.largest != is_rate_metric(across.inner)) {
    fail(
        e, v.line,
        fmt::format("verdict \"{}\": '{}': {}", v.says, v.metric,
                    across.largest ? "'largest AXIS with' needs a rate (diverged or a target's "
                                     "_reached): write e.g. largest lr with train_error_0.5_reached"
                                   : "'AXIS with lowest' needs a value, not a rate: write e.g. lr "
                                     "with lowest train_error_auc"));
  }
  const auto it = takes.find(across.axis);
  if (it == takes.end() || it->second.size() < 2) {
    fail(e, v.line,
         fmt::format("verdict \"{}\": '{}' picks over {}, which the grid does not vary: add a "
                     "list of {} values to [grid]",
                     v.says, v.metric, across.axis, across.axis));
  }
  for (const auto& value : it->second) {
    double number = 0;
    if (!whole_number(value, number)) {
      fail(e, v.line,
           fmt::format("verdict \"{}\": '{}' picks over {}, whose value {} is not a number", v.says,
                       v.metric, across.axis, value));
    }
  }
  for (const auto* group : {&v.a, &v.b}) {
    for (const auto& [key, value] : *group) {
      if (key == across.axis) {
        fail(e, v.line,
             fmt::format("verdict \"{}\": '{}' picks over {}: remove {} = {} from the group",
                         v.says, v.metric, across.axis, key, value));
      }
    }
  }
}

// A verdict whose group names a value no run has, or a `per` column the file never sets, would
// only show as NO DATA after the whole sweep: refuse it before anything runs.
void check_verdicts(const Experiment& e) {
  if (e.tune && e.tune->only && !e.verdicts.empty()) {
    fail(e, e.verdicts.front().line,
         "a table ([tune] only = true) has no grid runs to judge: move [[verdict]] to a file that "
         "reads it ([tune] from)");
  }
  const auto takes = values_taken(e);
  // The targets every run records: the file's, else actlab train's defaults.
  const std::vector<std::string> targets = e.targets.empty() ? TrainConfig{}.targets : e.targets;
  for (const auto& v : e.verdicts) {
    const auto across = parse_across(v.metric);
    if (const auto problem = unknown_metric(across ? across->inner : v.metric, targets);
        !problem.empty()) {
      fail(e, v.line, fmt::format("verdict \"{}\": {}", v.says, problem));
    }
    if (across) check_across(e, v, *across, takes);
    // The same runs on both sides compare a metric with itself unless metric_b differs.
    if (v.a == v.b && (v.metric_b.empty() || v.metric_b == v.metric)) {
      fail(e, v.line,
           fmt::format("verdict \"{}\": a and b are the same runs and the same metric: give "
                       "b other runs, or metric_b (what training changed: metric_b = "
                       "\"X.mean.init\")",
                       v.says));
    }
    if (v.a == v.b && v.pairing == "none") {
      fail(e, v.line,
           fmt::format("verdict \"{}\": a and b are the same runs, so their values are paired "
                       "by seed: remove pairing = \"none\"",
                       v.says));
    }
    if (!v.metric_b.empty()) {
      if (across || is_rate_metric(v.metric) || is_rate_metric(v.metric_b)) {
        fail(e, v.line,
             fmt::format("verdict \"{}\": metric_b is for values of runs (the same runs at two "
                         "times, say), not a rate or a value picked over a grid: remove it",
                         v.says));
      }
      if (const auto problem = unknown_metric(v.metric_b, targets); !problem.empty())
        fail(e, v.line, fmt::format("verdict \"{}\": metric_b: {}", v.says, problem));
    }
    for (const auto* group : {&v.a, &v.b}) {
      for (const auto& [key, value] : *group) {
        auto it = takes.find(key);
        if (it == takes.end() || !it->second.count(value)) {
          std::vector<std::string> values;
          if (it != takes.end()) values.assign(it->second.begin(), it->second.end());
          fail(e, v.line,
               fmt::format("verdict \"{}\": {} = {} matches no run: {}", v.says, key, value,
                           values.empty() ? fmt::format("the file never sets '{}'", key)
                                          : fmt::format("{} takes {}", key, join(values))));
        }
      }
    }
    for (const auto* keys : {&v.per, &v.pool}) {
      for (const auto& key : *keys) {
        if (!takes.count(key)) {
          fail(e, v.line,
               fmt::format("verdict \"{}\": {} names '{}', which the file never sets", v.says,
                           keys == &v.per ? "per" : "pool", key));
        }
      }
    }
  }
}

}  // namespace actlab::experiment_reading
