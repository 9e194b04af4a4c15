#include "src/harness/verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/run_metric.h"
#include "src/harness/statistics.h"

namespace actlab {

namespace {

// A run's value of `key`: its config.json field, else its grid value (an arm's label).
std::string config_text(const RunResult& run, const std::string& key) {
  if (!run.config.contains(key)) {
    if (run.run.contains("axes") && run.run["axes"].contains(key))
      return run.run["axes"][key].get<std::string>();
    return "";
  }
  const auto& value = run.config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return format_number(value.get<double>());
  return value.dump();
}

bool matches(const RunResult& run, const std::vector<std::pair<std::string, std::string>>& filter) {
  return std::all_of(filter.begin(), filter.end(), [&](const auto& condition) {
    return same_option_value(condition.first, config_text(run, condition.first), condition.second);
  });
}

double effect_of(double a, double b, const std::string& effect) {
  return effect == "ratio" ? a / b : a - b;
}

bool satisfies(double value, const std::string& relation, double threshold) {
  if (relation == ">") return value > threshold;
  if (relation == ">=") return value >= threshold;
  if (relation == "<") return value < threshold;
  return value <= threshold;
}

// A group must differ only in seed: averaging over another grid axis (two learning rates, say)
// would answer a question nobody asked.
void check_not_pooled(const Experiment& e, const VerdictSpec& v, const std::string& side,
                      const std::vector<const RunResult*>& group) {
  std::map<std::string, std::set<std::string>> values;
  for (const auto* run : group) {
    if (!run->run.contains("axes")) continue;
    for (const auto& [key, value] : run->run["axes"].items()) {
      if (key != "seed")
        values[key].insert(value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  for (const auto& [key, distinct] : values) {
    if (distinct.size() > 1) {
      throw Error(fmt::format(
          "{}:{}: verdict \"{}\": group {} pools runs with {} = {}: add {} to a and b, or to per",
          e.file.string(), v.line, v.says, side, key,
          join(std::vector<std::string>(distinct.begin(), distinct.end())), key));
    }
  }
}

VerdictResult evaluate_one(const Experiment& e, const VerdictSpec& spec, const std::string& scope,
                           const std::vector<const RunResult*>& pool) {
  VerdictResult result;
  result.spec = spec;
  result.scope = scope;
  std::vector<const RunResult*> group_a, group_b;
  for (const auto* run : pool) {
    if (matches(*run, spec.a)) group_a.push_back(run);
    if (matches(*run, spec.b)) group_b.push_back(run);
  }
  check_not_pooled(e, spec, "a", group_a);
  check_not_pooled(e, spec, "b", group_b);
  std::vector<std::string> notes;
  bool recorded = false;
  auto values_of = [&](const std::vector<const RunResult*>& group, std::vector<double>& values,
                       const char* side) {
    int never = 0, unrecorded = 0;
    for (const auto* run : group) {
      const auto value = run_metric(*run, spec.metric);
      recorded = recorded || value.recorded;
      if (value.value && std::isfinite(*value.value)) {
        values.push_back(*value.value);
      } else if (value.recorded) {
        ++never;
      } else {
        ++unrecorded;  // a run without the record: missing, never dropped silently
      }
    }
    if (never > 0) {
      notes.push_back(
          fmt::format("{} of {} runs in {} have no value (never reached, or not "
                      "finite)",
                      never, group.size(), side));
    }
    if (unrecorded > 0) {
      notes.push_back(
          fmt::format("{} of {} runs in {} do not record it", unrecorded, group.size(), side));
    }
    return never + unrecorded;
  };
  const int missing = values_of(group_a, result.a, "a") + values_of(group_b, result.b, "b");
  result.mean_a = mean_of(result.a);  // printed even when the other group has no value
  result.mean_b = mean_of(result.b);
  if (group_a.empty() || group_b.empty()) {
    result.outcome = "NO DATA";
    result.note = fmt::format("no finished run in group {}", group_a.empty() ? "a" : "b");
    return result;
  }
  if (!recorded) {
    result.outcome = "NO DATA";
    result.note = fmt::format("no run records '{}'", spec.metric);
    return result;
  }
  if (result.a.empty() || result.b.empty()) {
    result.outcome = "INCONCLUSIVE";
    result.note = join(notes, "; ");
    return result;
  }
  result.effect = effect_of(result.mean_a, result.mean_b, spec.effect);
  if (result.a.size() < 2 || result.b.size() < 2) {
    notes.push_back("fewer than 2 runs (seeds) in a group: no interval");
  } else {
    const auto interval =
        bootstrap_interval(result.a, result.b, spec.effect, fnv1a(spec.says + "|" + scope));
    result.low = interval.low;
    result.high = interval.high;
    result.has_interval = std::isfinite(result.low) && std::isfinite(result.high);
    if (!result.has_interval) notes.push_back("the interval is not finite (a mean of 0 in b)");
  }
  if (missing > 0 || !result.has_interval) {
    result.outcome = "INCONCLUSIVE";
  } else {
    if (spec.relation == "between") {
      const bool inside = result.low >= spec.threshold && result.high <= spec.upper;
      const bool outside = result.high < spec.threshold || result.low > spec.upper;
      result.outcome = inside ? "HOLDS" : (outside ? "FAILS" : "INCONCLUSIVE");
      if (result.outcome == "INCONCLUSIVE") notes.push_back("the interval straddles a bound");
    } else {
      const bool low_ok = satisfies(result.low, spec.relation, spec.threshold);
      const bool high_ok = satisfies(result.high, spec.relation, spec.threshold);
      result.outcome =
          low_ok && high_ok ? "HOLDS" : (!low_ok && !high_ok ? "FAILS" : "INCONCLUSIVE");
      if (result.outcome == "INCONCLUSIVE") notes.push_back("the interval straddles the threshold");
    }
  }
  result.note = join(notes, "; ");
  return result;
}

}  // namespace

Interval bootstrap_interval(const std::vector<double>& a, const std::vector<double>& b,
                            const std::string& effect, uint64_t seed, int resamples) {
  // Indices from the generator's raw output (mt19937_64 is specified exactly by the standard;
  // uniform_int_distribution is not), so the same records give the same interval with every
  // standard library, and RESULTS.md's --check holds on every machine. The modulo bias is below
  // 1e-17 for a handful of runs.
  std::mt19937_64 generator(seed);
  std::vector<double> effects;
  effects.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    double sum_a = 0, sum_b = 0;
    for (size_t i = 0; i < a.size(); ++i) sum_a += a[generator() % a.size()];
    for (size_t i = 0; i < b.size(); ++i) sum_b += b[generator() % b.size()];
    const double value = effect_of(sum_a / a.size(), sum_b / b.size(), effect);
    // A ratio over a resampled mean of 0 has no value: no interval rather than a wrong one.
    if (!std::isfinite(value)) return {NAN, NAN};
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
  return {quantile(0.025), quantile(0.975)};
}

std::vector<VerdictResult> evaluate_verdicts(const Experiment& experiment, const RunSet& runs) {
  std::vector<VerdictResult> results;
  for (const auto& spec : experiment.verdicts) {
    std::vector<const RunResult*> pool;
    for (const auto& run : runs.finished) pool.push_back(&run);
    if (spec.include_diverged) {
      for (const auto& run : runs.diverged) pool.push_back(&run);
    }
    if (spec.per.empty()) {
      results.push_back(evaluate_one(experiment, spec, "", pool));
      continue;
    }
    // One verdict per combination of the `per` columns' values: numbers in numeric order
    // (depth 4, 8, 16), then other text in text order.
    std::vector<std::vector<std::pair<std::string, std::string>>> scopes;
    for (const auto* run : pool) {
      std::vector<std::pair<std::string, std::string>> scope;
      for (const auto& key : spec.per) scope.emplace_back(key, config_text(*run, key));
      if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
    }
    std::sort(scopes.begin(), scopes.end(), [](const auto& x, const auto& y) {
      for (size_t i = 0; i < x.size(); ++i) {
        const auto kx = value_order_key(x[i].second), ky = value_order_key(y[i].second);
        if (kx != ky) return kx < ky;
      }
      return false;
    });
    for (const auto& scope : scopes) {
      std::vector<const RunResult*> in_scope;
      for (const auto* run : pool) {
        if (matches(*run, scope)) in_scope.push_back(run);
      }
      std::vector<std::string> label;
      for (const auto& [key, value] : scope) label.push_back(key + "=" + value);
      results.push_back(evaluate_one(experiment, spec, join(label, ","), in_scope));
    }
  }
  return results;
}

std::tuple<int, double, std::string> value_order_key(const std::string& text) {
  char* end = nullptr;
  const double value = text.empty() || std::isspace(static_cast<unsigned char>(text[0]))
                           ? 0.0
                           : std::strtod(text.c_str(), &end);
  const bool number = end != nullptr && *end == '\0' && std::isfinite(value);
  return {number ? 0 : 1, number ? value : 0.0, text};
}

std::string describe_filter(const std::vector<std::pair<std::string, std::string>>& filter) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : filter) parts.push_back(key + "=" + value);
  return join(parts, ",");
}

std::string verdict_number(double value) {
  return fmt::format("{:.4g}", value);
}

std::string expectation(const VerdictSpec& spec) {
  if (spec.relation == "between") {
    return fmt::format("{} between {} and {}", spec.effect, format_number(spec.threshold),
                       format_number(spec.upper));
  }
  return fmt::format("{} {} {}", spec.effect, spec.relation, format_number(spec.threshold));
}

std::string verdict_table(const std::vector<VerdictResult>& verdicts) {
  std::string text;
  for (const auto& v : verdicts) {
    text += fmt::format("{:<12} {}{}\n", v.outcome, v.spec.says,
                        v.scope.empty() ? "" : fmt::format(" [{}]", v.scope));
    text += fmt::format("             {}: a ({}) {} (n={}) vs b ({}) {} (n={})\n", v.spec.metric,
                        describe_filter(v.spec.a), v.a.empty() ? "-" : verdict_number(v.mean_a),
                        v.a.size(), describe_filter(v.spec.b),
                        v.b.empty() ? "-" : verdict_number(v.mean_b), v.b.size());
    if (!v.a.empty() && !v.b.empty()) {
      text += fmt::format(
          "             {} = {}{}; expected {}\n", v.spec.effect, verdict_number(v.effect),
          v.has_interval
              ? fmt::format(" [95% CI {}, {}]", verdict_number(v.low), verdict_number(v.high))
              : "",
          expectation(v.spec));
    } else {
      text += fmt::format("             expected {}\n", expectation(v.spec));
    }
    if (!v.note.empty()) text += fmt::format("             ({})\n", v.note);
  }
  return text;
}

nlohmann::json to_json(const VerdictResult& v) {
  auto filter = [](const std::vector<std::pair<std::string, std::string>>& f) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : f) object[key] = value;
    return object;
  };
  nlohmann::json json = {
      {"says", v.spec.says},   {"scope", v.scope},      {"metric", v.spec.metric},
      {"a", filter(v.spec.a)}, {"b", filter(v.spec.b)}, {"expect", expectation(v.spec)},
      {"values_a", v.a},       {"values_b", v.b},       {"outcome", v.outcome},
      {"note", v.note},        {"line", v.spec.line}};
  auto optional_number = [](bool present, double value) {
    return present && std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  const bool have_means = !v.a.empty() && !v.b.empty();
  json["mean_a"] = optional_number(!v.a.empty(), v.mean_a);
  json["mean_b"] = optional_number(!v.b.empty(), v.mean_b);
  json["effect"] = optional_number(have_means, v.effect);
  json["ci_low"] = optional_number(v.has_interval, v.low);
  json["ci_high"] = optional_number(v.has_interval, v.high);
  return json;
}

}  // namespace actlab
