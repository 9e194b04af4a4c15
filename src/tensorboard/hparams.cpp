#include "src/tensorboard/hparams.h"

#include <fmt/format.h>

#include "src/core/spec.h"
#include "src/train/convergence.h"

namespace actlab::tensorboard {

namespace {

// A target's tag stem, as RunResult::row names its columns: "train_error_0.25".
std::string target_stem(const std::string& metric, double threshold) {
  return fmt::format("{}_{}", metric, format_number(threshold));
}

}  // namespace

nlohmann::ordered_json run_hparams(const nlohmann::json& config, const nlohmann::json& run) {
  nlohmann::ordered_json hparams = nlohmann::ordered_json::object();
  // The grid values first: TensorBoard shows the first hparams of the list as columns.
  const auto axes = run.value("axes", nlohmann::json::object());
  for (const auto& [key, value] : axes.items()) {
    if (config.contains(key)) {
      hparams[key] = nullptr;  // placed here, filled with the option's typed value below
    } else if (value.is_string()) {
      hparams[key] = value;  // a grid label that is not an option (e.g. an `arm`)
    }
  }
  if (run.contains("experiment") && run["experiment"].is_string())
    hparams["experiment"] = run["experiment"];
  for (const auto& [key, value] : config.items()) {
    // `resolved` is what the run found (versions, data), `out_dir` differs in every run.
    if (key == "resolved" || key == "out_dir") continue;
    if (value.is_boolean() || value.is_number() || value.is_string()) {
      hparams[key] = value;
    } else {
      hparams[key] = value.dump();  // lists (targets, init_stds) as their JSON text
    }
  }
  return hparams;
}

std::vector<std::string> varied_hparams(const nlohmann::json& run) {
  std::vector<std::string> varied;
  const auto axes = run.value("axes", nlohmann::json::object());  // named: items() refers into it
  for (const auto& [key, _] : axes.items()) varied.push_back(key);
  return varied;
}

std::vector<HParamsMetric> summary_metrics(const std::vector<std::string>& targets) {
  std::vector<HParamsMetric> metrics = {
      {"summary/final_test_error", "test error at the last evaluation"},
      {"summary/best_test_error", "lowest test error of any evaluation"},
      {"summary/final_train_error", "training error at the last evaluation"},
      {"summary/epochs_completed", "epochs trained"},
      {"summary/train_error_auc", "area under the training-error curve, in epochs"},
  };
  for (const auto& text : targets) {
    const auto target = parse_target(text);
    const auto stem = target_stem(target.metric, target.threshold);
    metrics.push_back({fmt::format("summary/{}_epochs", stem),
                       fmt::format("epochs until {} <= {}; blank when never reached (then more "
                                   "than epochs_completed)",
                                   target.metric, target.threshold)});
    metrics.push_back(
        {fmt::format("summary/{}_reached", stem),
         fmt::format("1 when {} reached {}, else 0", target.metric, target.threshold)});
  }
  return metrics;
}

std::vector<std::pair<std::string, double>> summary_metric_values(const nlohmann::json& summary) {
  std::vector<std::pair<std::string, double>> values;
  for (const char* key : {"final_test_error", "best_test_error", "final_train_error",
                          "epochs_completed", "train_error_auc"}) {
    if (summary.contains(key) && summary[key].is_number())
      values.emplace_back(fmt::format("summary/{}", key), summary[key].get<double>());
  }
  if (!summary.contains("targets") || !summary["targets"].is_array()) return values;
  for (const auto& target : summary["targets"]) {
    if (!target.contains("metric") || !target.contains("threshold")) continue;
    const auto stem =
        target_stem(target["metric"].get<std::string>(), target["threshold"].get<double>());
    const bool reached = target.value("reached", false);
    if (reached && target.contains("position") && target["position"].is_number())
      values.emplace_back(fmt::format("summary/{}_epochs", stem), target["position"].get<double>());
    values.emplace_back(fmt::format("summary/{}_reached", stem), reached ? 1.0 : 0.0);
  }
  return values;
}

SessionStatus session_status(const std::string& status) {
  if (status == "completed") return SessionStatus::success;
  if (status == "diverged" || status == "failed") return SessionStatus::failure;
  if (status == "running") return SessionStatus::running;
  return SessionStatus::unknown;
}

}  // namespace actlab::tensorboard
