// How verdicts are printed (`actlab verdict`, RESULTS.md, the report) and written (verdicts.json).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "src/core/json_number.h"
#include "src/core/spec.h"
#include "src/harness/verdict.h"
#include "src/harness/verdict_neighbours.h"

namespace actlab {

namespace {

nlohmann::json number_or_null(bool present, double value) {
  return present ? actlab::number_or_null(value) : nlohmann::json(nullptr);
}

std::string rate_text(const VerdictGroup& g, const RateInterval& interval) {
  double events = 0;
  for (double v : g.values) events += v >= 0.5;
  return fmt::format("{} [{}, {}]", verdict_number(events / g.values.size()),
                     verdict_number(interval.low), verdict_number(interval.high));
}

}  // namespace

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

std::string effect_text(const VerdictResult& v) {
  if (!v.has_effect) return "-";
  if (v.kind == "rates") {
    return fmt::format("{} {} (a {}, b {}; 95% CI each)", v.estimand, verdict_number(v.effect),
                       rate_text(v.a, v.rate_a), rate_text(v.b, v.rate_b));
  }
  if (!v.bound.empty()) {
    return fmt::format("{} {} {} (censored)", v.estimand, v.bound, verdict_number(v.effect));
  }
  return fmt::format("{} {}{}", v.estimand, verdict_number(v.effect),
                     v.has_interval ? fmt::format(" [{:g}% CI {}, {}]", v.level * 100,
                                                  verdict_number(v.low), verdict_number(v.high))
                                    : std::string(" (no interval)"));
}

std::string group_text(const VerdictGroup& g) {
  if (g.values.empty()) return "no value";
  // A group that pools configurations (a rate over a grid) repeats its seeds: its count says
  // more than 80 zeros and ones would.
  std::vector<std::string> distinct = g.seeds;
  std::sort(distinct.begin(), distinct.end(),
            [](const auto& x, const auto& y) { return value_order_key(x) < value_order_key(y); });
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < g.seeds.size()) {
    size_t events = 0;
    for (double v : g.values) events += v >= 0.5;
    return fmt::format("{} of {} runs pooled over the grid (seeds {}); mean {}, n={}", events,
                       g.values.size(), join(distinct, " "), verdict_number(g.mean),
                       g.values.size());
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < g.values.size(); ++i)
    values.push_back((g.censored[i] ? ">=" : "") + verdict_number(g.values[i]));
  return fmt::format("seeds {}: {}; mean {}, SD {}, n={}", join(g.seeds, " "), join(values, " "),
                     verdict_number(g.mean), verdict_number(g.sd), g.values.size());
}

namespace {

// Group b's values, led by its metric where it is not a's.
std::string b_text(const VerdictResult& v) {
  return (v.spec.metric_b.empty() ? "" : v.spec.metric_b + ": ") + group_text(v.b);
}

}  // namespace

std::string p_text(const VerdictResult& v) {
  if (!v.tested) return "";
  std::string text = fmt::format("p {}, Holm {} ({} test{})", verdict_number(v.p),
                                 verdict_number(v.p_adjusted), v.family, v.family == 1 ? "" : "s");
  if (v.has_hedges_g) text += fmt::format("; g {}", verdict_number(v.hedges_g));
  return text;
}

std::string verdict_table(const std::vector<VerdictResult>& verdicts) {
  std::string text;
  constexpr const char* kIndent = "             ";
  for (const auto& v : verdicts) {
    text += fmt::format("{:<12} {}{}\n", v.outcome, v.spec.says,
                        v.scope.empty() ? "" : fmt::format(" [{}]", v.scope));
    text += fmt::format("{}{}{}\n", kIndent, v.spec.metric, v.test.empty() ? "" : "; " + v.test);
    text += fmt::format("{}a ({}): {}\n", kIndent, describe_filter(v.spec.a), group_text(v.a));
    text += fmt::format("{}b ({}): {}\n", kIndent, describe_filter(v.spec.b), b_text(v));
    std::vector<std::string> parts;
    if (v.has_effect) parts.push_back(effect_text(v));
    if (v.tested) parts.push_back(p_text(v));
    parts.push_back("expected " + expectation(v.spec));
    text += fmt::format("{}{}\n", kIndent, join(parts, "; "));
    if (!v.note.empty()) text += fmt::format("{}({})\n", kIndent, v.note);
    if (!v.neighbours.empty())
      text += fmt::format("{}at the neighbouring rates: {}\n", kIndent, neighbours_text(v));
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
      {"kind", v.kind},        {"test", v.test},        {"estimand", v.estimand},
      {"outcome", v.outcome},  {"note", v.note},        {"line", v.spec.line}};
  for (const auto& [side, g] : {std::pair{"a", &v.a}, std::pair{"b", &v.b}}) {
    const std::string s = side;
    json["values_" + s] = g->values;
    json["seeds_" + s] = g->seeds;
    json["censored_" + s] = g->censored;
    json["n_" + s] = g->values.size();
    json["mean_" + s] = number_or_null(!g->values.empty(), g->mean);
    json["sd_" + s] = number_or_null(g->values.size() >= 2, g->sd);
  }
  json["effect"] = number_or_null(v.has_effect, v.effect);
  json["bound"] = v.bound.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.bound);
  json["ci_low"] = number_or_null(v.has_interval, v.low);
  json["ci_high"] = number_or_null(v.has_interval, v.high);
  json["ci_level"] = number_or_null(v.has_interval, v.level);
  json["p"] = number_or_null(v.tested, v.p);
  json["p_adjusted"] = number_or_null(v.tested, v.p_adjusted);
  json["family"] = v.tested ? nlohmann::json(v.family) : nlohmann::json(nullptr);
  json["min_p"] = number_or_null(v.tested || !v.claimed.empty(), v.min_p);
  json["hedges_g"] = number_or_null(v.has_hedges_g, v.hedges_g);
  // The same words as `actlab verdict` and RESULTS.md, for the report.
  if (!v.spec.metric_b.empty()) json["metric_b"] = v.spec.metric_b;
  json["shown"] = {{"a", group_text(v.a)},
                   {"b", b_text(v)},
                   {"effect", effect_text(v)},
                   {"p", p_text(v)},
                   {"neighbours", neighbours_text(v)}};
  json["neighbours"] = nlohmann::json::array();
  for (const auto& n : v.neighbours) {
    json["neighbours"].push_back(
        {{"side", n.side},
         {"option", n.option},
         {"value", n.value},
         {"seed", n.seed},
         {"a", n.a ? nlohmann::json(*n.a) : nlohmann::json(nullptr)},
         {"b", n.b ? nlohmann::json(*n.b) : nlohmann::json(nullptr)},
         {"censored_a", n.a_censored},
         {"censored_b", n.b_censored},
         {"effect", n.effect ? nlohmann::json(*n.effect) : nlohmann::json(nullptr)},
         {"bound", n.bound.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.bound)},
         {"missing", n.missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.missing)}});
  }
  if (v.kind == "rates") {
    json["rate_ci_a"] = {v.rate_a.low, v.rate_a.high};
    json["rate_ci_b"] = {v.rate_b.low, v.rate_b.high};
  }
  return json;
}

}  // namespace actlab
