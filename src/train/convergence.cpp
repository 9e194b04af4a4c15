#include "src/train/convergence.h"

#include <fmt/format.h>

#include <cstdlib>

#include "src/core/error.h"

namespace actlab {

namespace {

constexpr const char* kMetrics =
    "train_error, test_error, train_loss, test_loss, train_error_running, train_loss_running";

bool known_metric(const std::string& metric) {
  return metric == "train_error" || metric == "test_error" || metric == "train_loss" ||
         metric == "test_loss" || metric == "train_error_running" || metric == "train_loss_running";
}

// "METRIC<separator>VALUE"; nullopt when malformed.
std::optional<ConvergenceTarget> parse_comparison(const std::string& text,
                                                  const std::string& separator) {
  const auto at = text.find(separator);
  if (at == std::string::npos) return std::nullopt;
  ConvergenceTarget target;
  target.metric = text.substr(0, at);
  const std::string number = text.substr(at + separator.size());
  char* end = nullptr;
  target.threshold = std::strtod(number.c_str(), &end);
  if (!known_metric(target.metric) || number.empty() || *end != '\0') return std::nullopt;
  return target;
}

}  // namespace

std::optional<double> metric_value(const EpochMetrics& m, const std::string& metric) {
  if (metric == "train_error") return m.train_error;
  if (metric == "test_error") return m.test_error;
  if (metric == "train_loss") return m.train_loss;
  if (metric == "train_error_running") return m.train_error_running;
  if (metric == "train_loss_running") return m.train_loss_running;
  return m.test_loss;
}

bool reaches(const EpochMetrics& metrics, const ConvergenceTarget& target) {
  const auto value = metric_value(metrics, target.metric);
  return value && *value <= target.threshold;
}

ConvergenceTarget parse_target(const std::string& text) {
  const auto target = parse_comparison(text, "=");
  if (!target) {
    throw Error(
        fmt::format("target '{}' is malformed: write METRIC=VALUE with METRIC one of {} (e.g. "
                    "train_error=0.25)",
                    text, kMetrics));
  }
  return *target;
}

ConvergenceTarget parse_stop_condition(const std::string& text) {
  const auto target = parse_comparison(text, "<=");
  if (!target) {
    throw Error(fmt::format(
        "--stop-when '{}' is malformed: write METRIC<=VALUE with METRIC one of {} (e.g. "
        "train_error<=0.25)",
        text, kMetrics));
  }
  return *target;
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
      if (reaches(m, target)) {
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
