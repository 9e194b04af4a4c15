#include "src/train/convergence.h"

#include <fmt/format.h>

#include <cstdlib>

#include "src/core/error.h"

namespace actlab {

namespace {

double metric_value(const EpochMetrics& m, const std::string& metric) {
  if (metric == "train_error") return m.train_error;
  if (metric == "test_error") return m.test_error;
  if (metric == "train_loss") return m.train_loss;
  return m.test_loss;
}

}  // namespace

ConvergenceTarget parse_target(const std::string& text) {
  const auto equals = text.find('=');
  ConvergenceTarget target;
  target.metric = text.substr(0, equals);
  const bool known = target.metric == "train_error" || target.metric == "test_error" ||
                     target.metric == "train_loss" || target.metric == "test_loss";
  char* end = nullptr;
  const std::string number = equals == std::string::npos ? "" : text.substr(equals + 1);
  target.threshold = std::strtod(number.c_str(), &end);
  if (!known || number.empty() || *end != '\0') {
    throw Error(
        fmt::format("target '{}' is malformed: write METRIC=VALUE with METRIC one of "
                    "train_error, test_error, train_loss, test_loss (e.g. train_error=0.25)",
                    text));
  }
  return target;
}

nlohmann::json convergence_json(const std::vector<EpochMetrics>& metrics,
                                const std::vector<ConvergenceTarget>& targets) {
  nlohmann::json result = nlohmann::json::object();
  nlohmann::json reached = nlohmann::json::array();
  for (const auto& target : targets) {
    nlohmann::json entry = {{"metric", target.metric}, {"threshold", target.threshold},
                            {"reached", false},        {"epoch", nullptr},
                            {"position", nullptr},     {"step", nullptr},
                            {"images_seen", nullptr},  {"seconds", nullptr}};
    for (const auto& m : metrics) {
      if (metric_value(m, target.metric) <= target.threshold) {
        entry["reached"] = true;
        entry["epoch"] = m.epoch;
        entry["position"] = m.position;
        entry["step"] = m.step;
        entry["images_seen"] = m.images_seen;
        entry["seconds"] = m.seconds;
        break;
      }
    }
    reached.push_back(entry);
  }
  result["targets"] = reached;
  double area = 0;
  for (size_t i = 1; i < metrics.size(); ++i) {
    area += 0.5 * (metrics[i].train_error + metrics[i - 1].train_error) *
            (metrics[i].position - metrics[i - 1].position);
  }
  result["train_error_auc"] = area;
  return result;
}

}  // namespace actlab
