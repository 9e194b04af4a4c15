#include "src/harness/verdict_across.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>
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
  // The axis' values as numbers, per seed (numbers by value), and the grid: every value any run
  // of the group has, diverged runs included (a best rate next to the rates that diverge is
  // bracketed by them).
  struct SeedRuns {
    std::string seed;
    std::vector<std::pair<double, const RunResult*>> runs;
    std::string unreadable;  // an axis value that is not a number
  };
  std::map<std::tuple<int, double, std::string>, SeedRuns> by_seed;
  std::set<double> grid;
  for (const auto* run : runs) {
    const std::string seed = run_field_text(*run, "seed");
    auto& entry = by_seed[value_order_key(seed)];
    entry.seed = seed;
    const std::string text = run_field_text(*run, metric.axis);
    const auto x = std::get<0>(value_order_key(text)) == 0
                       ? std::optional<double>(std::get<1>(value_order_key(text)))
                       : std::nullopt;
    if (!x) {
      entry.unreadable = text;
      continue;
    }
    entry.runs.emplace_back(*x, run);
    grid.insert(*x);
  }
  AcrossValues out;
  const auto axis_text = [&](double x) { return metric.axis + " " + format_number(x); };
  // A run trained when it did not end at chance: one that touched the target and fell back did
  // not, whatever the target column says.
  const auto final_error = [](const RunResult* run) {
    const auto error = run->summary.value("final_train_error", nlohmann::json());
    return error.is_number() ? error.get<double>() : NAN;
  };
  for (const auto& [order, entry] : by_seed) {
    const std::string& seed = entry.seed;
    if (!entry.unreadable.empty()) {
      out.missing.push_back(
          fmt::format("seed {}: {} '{}' is not a number", seed, metric.axis, entry.unreadable));
      continue;
    }
    // A seed with a hole in its grid (a run killed, damaged or still running) would pick from
    // what happens to exist.
    std::set<double> has;
    for (const auto& [x, run] : entry.runs) has.insert(x);
    if (has != grid) {
      std::vector<std::string> holes;
      for (double x : grid)
        if (!has.count(x)) holes.push_back(format_number(x));
      out.missing.push_back(fmt::format("seed {}: no finished or diverged run at {} {}", seed,
                                        metric.axis, join(holes)));
      continue;
    }
    const RunResult* picked = nullptr;
    double pick = 0, best = INFINITY;
    for (const auto& [x, run] : entry.runs) {
      const auto value = run_metric(*run, metric.inner);
      if (metric.largest) {
        const bool trained = value.value && *value.value >= 0.5 && final_error(run) < trained_below;
        if (trained && (picked == nullptr || x > pick)) {
          picked = run;
          pick = x;
        }
      } else if (run->status() != RunStatus::diverged && value.value &&
                 std::isfinite(*value.value) && *value.value < best) {
        best = *value.value;
        picked = run;
        pick = x;
      }
    }
    if (picked == nullptr) {
      if (metric.largest)
        out.untrained.push_back(fmt::format("seed {}: trains at no {}", seed, metric.axis));
      else
        out.missing.push_back(fmt::format("seed {}: no finite value at any {}", seed, metric.axis));
      continue;
    }
    if (!metric.largest && measures_training(metric.inner) &&
        !(final_error(picked) < trained_below)) {
      out.untrained.push_back(fmt::format("seed {}: {} at its best {}", seed,
                                          format_number(final_error(picked)), axis_text(pick)));
      continue;
    }
    const bool at_top = pick == *grid.rbegin(), at_bottom = pick == *grid.begin();
    if (!metric.largest && grid.size() > 1 && at_bottom) {
      out.missing.push_back(
          fmt::format("seed {}: best at {}, the grid's smallest value (widen the grid)", seed,
                      axis_text(pick)));
      continue;
    }
    out.group.seeds.push_back(seed);
    out.group.values.push_back(pick);
    // At the grid's largest value the answer is a lower bound: the largest rate that trains, or
    // the best rate, is at least that.
    out.group.censored.push_back(at_top && grid.size() > 1);
  }
  out.group.mean = mean_of(out.group.values);
  out.group.sd = sample_std(out.group.values);
  return out;
}

}  // namespace actlab
