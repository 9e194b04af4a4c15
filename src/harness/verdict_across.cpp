#include "src/harness/verdict_across.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "src/core/spec.h"
#include "src/harness/run_metric.h"

namespace actlab {

std::optional<AcrossMetric> parse_across(const std::string& metric) {
  static const std::regex largest(R"(largest (\w+) with (\S+))"),
      lowest(R"((\w+) with lowest (\S+))");
  std::smatch m;
  if (std::regex_match(metric, m, largest)) return AcrossMetric{m[1], true, m[2]};
  if (std::regex_match(metric, m, lowest)) return AcrossMetric{m[1], false, m[2]};
  return std::nullopt;
}

AcrossValues collect_across(const AcrossMetric& metric, const std::vector<const RunResult*>& runs,
                            double trained_below) {
  // The axis' values as numbers, per seed (numbers by value), and the grid's ends over the group.
  struct SeedRuns {
    std::string seed;
    std::vector<std::pair<double, const RunResult*>> runs;
  };
  std::map<std::tuple<int, double, std::string>, SeedRuns> by_seed;
  std::set<double> grid;
  for (const auto* run : runs) {
    const std::string seed = run_field_text(*run, "seed");
    const double x = std::stod(run_field_text(*run, metric.axis));
    auto& entry = by_seed[value_order_key(seed)];
    entry.seed = seed;
    entry.runs.emplace_back(x, run);
    grid.insert(x);
  }
  AcrossValues out;
  const auto axis_text = [&](double x) { return metric.axis + " " + format_number(x); };
  for (const auto& [order, entry] : by_seed) {
    const std::string& seed = entry.seed;
    const RunResult* picked = nullptr;
    double pick = 0, best = INFINITY;
    for (const auto& [x, run] : entry.runs) {
      const bool diverged = run->status() == RunStatus::diverged;
      const auto value = run_metric(*run, metric.inner);
      if (metric.largest) {
        if (value.value && *value.value >= 0.5 && (picked == nullptr || x > pick)) {
          picked = run;
          pick = x;
        }
      } else if (!diverged && value.value && std::isfinite(*value.value) && *value.value < best) {
        best = *value.value;
        picked = run;
        pick = x;
      }
    }
    if (picked == nullptr) {
      out.missing.push_back(fmt::format("seed {}: {} at no {}", seed,
                                        metric.largest ? "trains" : "no finite value",
                                        metric.axis));
      continue;
    }
    const bool at_top = pick == *grid.rbegin(), at_bottom = pick == *grid.begin();
    if (!metric.largest && grid.size() > 1 && (at_top || at_bottom)) {
      out.missing.push_back(
          fmt::format("seed {}: best at {}, an end of the grid (widen it)", seed, axis_text(pick)));
      continue;
    }
    if (!metric.largest && measures_training(metric.inner)) {
      const auto error = picked->summary.value("final_train_error", nlohmann::json());
      if (error.is_number() && !(error.get<double>() < trained_below)) {
        out.untrained.push_back(fmt::format("seed {}: {} (best at {})", seed,
                                            format_number(error.get<double>()), axis_text(pick)));
      }
    }
    out.group.seeds.push_back(seed);
    out.group.values.push_back(pick);
    // Trained at the grid's largest value: the largest that trains is at least that.
    out.group.censored.push_back(metric.largest && at_top);
  }
  out.group.mean = mean_of(out.group.values);
  out.group.sd = sample_std(out.group.values);
  return out;
}

}  // namespace actlab
