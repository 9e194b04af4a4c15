// Learning curves and convergence targets of a group, as mean and min-max band over its runs.
#include <algorithm>
#include <cmath>
#include <set>

#include "src/harness/statistics.h"
#include "src/report/report_parts.h"

namespace actlab::report {

namespace {

// The metrics a learning curve shows; other metrics.jsonl fields stay in the run folders.
const std::vector<std::string> kCurveMetrics = {"train_error", "test_error", "train_loss",
                                                "test_loss"};

double number_at(const nlohmann::json& record, const std::string& field) {
  const auto it = record.find(field);
  return it != record.end() && it->is_number() ? it->get<double>() : NAN;
}

// Where an evaluation sits: `position` if a record has one, else `epoch` (whole or fractional).
double position_of(const nlohmann::json& record) {
  const double position = number_at(record, "position");
  return std::isfinite(position) ? position : number_at(record, "epoch");
}

}  // namespace

nlohmann::json band(const std::vector<std::vector<double>>& values) {
  nlohmann::json mean = nlohmann::json::array(), low = nlohmann::json::array(),
                 high = nlohmann::json::array();
  for (const auto& at_x : values) {
    std::vector<double> finite;
    for (double v : at_x) {
      if (std::isfinite(v)) finite.push_back(v);
    }
    if (finite.empty()) {
      mean.push_back(nullptr);
      low.push_back(nullptr);
      high.push_back(nullptr);
      continue;
    }
    mean.push_back(mean_of(finite));
    low.push_back(*std::min_element(finite.begin(), finite.end()));
    high.push_back(*std::max_element(finite.begin(), finite.end()));
  }
  return {{"mean", mean}, {"min", low}, {"max", high}};
}

nlohmann::json group_curves(const std::vector<const RunResult*>& runs) {
  std::set<double> positions;
  for (const auto* run : runs) {
    for (const auto& record : run->epochs) {
      const double position = position_of(record);
      if (std::isfinite(position)) positions.insert(position);
    }
  }
  const std::vector<double> xs(positions.begin(), positions.end());
  auto values_of = [&](const std::string& field) {
    std::vector<std::vector<double>> values(xs.size());
    for (const auto* run : runs) {
      for (const auto& record : run->epochs) {
        const auto at = std::lower_bound(xs.begin(), xs.end(), position_of(record));
        if (at != xs.end() && *at == position_of(record))
          values[at - xs.begin()].push_back(number_at(record, field));
      }
    }
    return values;
  };
  nlohmann::json seconds = nlohmann::json::array(), counts = nlohmann::json::array();
  for (const auto& at_x : values_of("seconds")) {
    std::vector<double> finite;
    for (double v : at_x) {
      if (std::isfinite(v)) finite.push_back(v);
    }
    seconds.push_back(finite.empty() ? nlohmann::json(nullptr) : nlohmann::json(mean_of(finite)));
    counts.push_back(at_x.size());
  }
  nlohmann::json curves = {{"position", xs}, {"seconds", seconds}, {"runs", counts}};
  for (const auto& metric : kCurveMetrics) curves[metric] = band(values_of(metric));
  return curves;
}

nlohmann::json run_curve(const RunResult& run) {
  nlohmann::json curve = {{"position", nlohmann::json::array()},
                          {"seconds", nlohmann::json::array()}};
  for (const auto& metric : kCurveMetrics) curve[metric] = nlohmann::json::array();
  for (const auto& record : run.epochs) {
    if (!std::isfinite(position_of(record))) continue;
    curve["position"].push_back(position_of(record));
    curve["seconds"].push_back(number_or_null(number_at(record, "seconds")));
    for (const auto& metric : kCurveMetrics)
      curve[metric].push_back(number_or_null(number_at(record, metric)));
  }
  return curve;
}

nlohmann::json group_targets(const std::vector<const RunResult*>& runs) {
  // Targets in the order the first run lists them; matched by metric and threshold.
  nlohmann::json targets = nlohmann::json::array();
  std::vector<std::pair<std::string, double>> keys;
  for (const auto* run : runs) {
    for (const auto& target : run->summary.value("targets", nlohmann::json::array())) {
      const std::pair<std::string, double> key = {target.value("metric", ""),
                                                  number_at(target, "threshold")};
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  for (const auto& [metric, threshold] : keys) {
    nlohmann::json epochs = nlohmann::json::array();
    std::vector<double> reached_epochs, reached_seconds;
    for (const auto* run : runs) {
      double epoch = NAN, seconds = NAN;
      for (const auto& target : run->summary.value("targets", nlohmann::json::array())) {
        if (target.value("metric", "") == metric && number_at(target, "threshold") == threshold) {
          epoch = number_at(target, "epoch");
          seconds = number_at(target, "seconds");
        }
      }
      epochs.push_back(number_or_null(epoch));
      if (std::isfinite(epoch)) reached_epochs.push_back(epoch);
      if (std::isfinite(epoch) && std::isfinite(seconds)) reached_seconds.push_back(seconds);
    }
    const bool all = !runs.empty() && reached_epochs.size() == runs.size();
    const bool all_seconds = all && reached_seconds.size() == runs.size();
    targets.push_back(
        {{"metric", metric},
         {"threshold", threshold},
         {"reached", reached_epochs.size()},
         {"runs", runs.size()},
         {"epochs", epochs},
         {"epoch_mean", all ? nlohmann::json(mean_of(reached_epochs)) : nullptr},
         {"seconds_mean", all_seconds ? nlohmann::json(mean_of(reached_seconds)) : nullptr}});
  }
  return targets;
}

}  // namespace actlab::report
