#include "src/harness/run_metric.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/probes/probe_hook.h"
#include "src/probes/quantity.h"
#include "src/records/epoch_end_probe.h"
#include "src/train/config.h"
#include "src/train/convergence.h"
#include "src/train/hooks.h"

namespace actlab {

namespace {

// "train_error_0.5_reached" -> "train_error_0.5_epoch" (the target's column); "" otherwise.
std::string reached_epoch_column(const std::string& metric) {
  const std::string suffix = "_reached";
  if (metric.find(' ') != std::string::npos || metric.size() <= suffix.size() ||
      metric.compare(metric.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  return metric.substr(0, metric.size() - suffix.size()) + "_epoch";
}

// "epochN" with N whole digits (the probe times and the early training-error area).
// "A / B" or "A - B": the two sides and the operator, split at the first " / " or " - ".
struct BinaryMetric {
  std::string left, right;
  char op = 0;
};
std::optional<BinaryMetric> split_binary(const std::string& metric) {
  const auto slash = metric.find(" / "), minus = metric.find(" - ");
  const auto at = std::min(slash, minus);
  if (at == std::string::npos) return std::nullopt;
  return BinaryMetric{metric.substr(0, at), metric.substr(at + 3), metric[at + 1]};
}

bool is_epoch_time(const std::string& when) {
  return when.rfind("epoch", 0) == 0 && when.size() > 5 && when.size() < 12 &&
         std::all_of(when.begin() + 5, when.end(), ::isdigit);
}

// The epoch-end probe records of `when`, one per layer index: "init" is the probe before
// training (step 0), "final" the last epoch's, "epochN" epoch N's.
std::map<int64_t, const nlohmann::json*> records_at(const RunResult& run, const std::string& when) {
  std::map<int64_t, const nlohmann::json*> records;
  const auto probes = epoch_end_probes(run.layers);
  if (probes.empty()) return records;
  const std::map<int, const nlohmann::json*>* chosen = nullptr;
  if (when == "init") {
    const auto first = probes.begin();
    const auto& any = *first->second.begin()->second;
    if (any.value("step", int64_t{-1}) == 0) chosen = &first->second;
  } else if (when == "final") {
    chosen = &probes.rbegin()->second;
  } else if (is_epoch_time(when)) {
    const auto it = probes.find(std::stoi(when.substr(5)));
    if (it != probes.end()) chosen = &it->second;
  }
  if (chosen) {
    for (const auto& [index, record] : *chosen) records[index] = record;
  }
  return records;
}

MetricValue layer_metric(const RunResult& run, const std::string& quantity,
                         const std::string& layer, const std::string& when) {
  const auto records = records_at(run, when);
  MetricValue result;
  std::vector<std::optional<double>> values;  // in layer order
  for (const auto& [index, record] : records) {
    if (!record->contains(quantity)) continue;
    result.recorded = true;
    const auto& v = (*record)[quantity];
    values.push_back(v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt);
  }
  if (!result.recorded || values.empty()) return result;
  if (layer == "first") {
    result.value = values.front();
  } else if (layer == "last") {
    result.value = values.back();
  } else if (layer == "max" || layer == "min" || layer == "mean") {
    if (std::any_of(values.begin(), values.end(), [](const auto& v) { return !v; })) return result;
    double sum = 0, low = *values.front(), high = *values.front();
    for (const auto& v : values) {
      sum += *v;
      low = std::min(low, *v);
      high = std::max(high, *v);
    }
    result.value = layer == "max" ? high : layer == "min" ? low : sum / values.size();
  } else if (!layer.empty() && std::all_of(layer.begin(), layer.end(), ::isdigit)) {
    const size_t index = std::stoul(layer);
    if (index < values.size()) result.value = values[index];
  } else {
    result.recorded = false;  // not a layer selector
  }
  return result;
}

// The global gradient norm's course: per step where --probe-per-step recorded it, else the
// per-epoch maxima. "first", "max", "growth" = max / first (do gradients explode?), and "median"
// over the finite norms: the typical step's norm, which one step before a divergence cannot
// dominate as it does a maximum or a mean.
MetricValue gradient_metric(const RunResult& run, const std::string& what) {
  std::vector<double> norms;
  for (const auto& line : run.gradients) {
    if (line.contains("global_grad_norm") && line["global_grad_norm"].is_number())
      norms.push_back(line["global_grad_norm"].get<double>());
  }
  if (norms.empty()) {
    for (const auto& line : run.gradients) {
      if (line.contains("global_grad_norm_max") && line["global_grad_norm_max"].is_number())
        norms.push_back(line["global_grad_norm_max"].get<double>());
    }
  }
  MetricValue result{!run.gradients.empty(), std::nullopt};
  if (norms.empty()) return result;
  const double first = norms.front();
  double high = first;
  for (double n : norms) high = std::isfinite(n) ? std::max(high, n) : high;
  if (what == "first") result.value = first;
  if (what == "max") result.value = high;
  if (what == "growth" && first > 0) result.value = high / first;
  if (what == "median") {
    std::vector<double> finite;
    for (double n : norms)
      if (std::isfinite(n)) finite.push_back(n);
    std::sort(finite.begin(), finite.end());
    const size_t k = finite.size();
    if (k > 0) result.value = k % 2 ? finite[k / 2] : (finite[k / 2 - 1] + finite[k / 2]) / 2;
  }
  if (what != "first" && what != "max" && what != "growth" && what != "median")
    result.recorded = false;
  return result;
}

// "train_error_auc.epochN": train_error_auc's trapezoids (convergence.cpp) over positions 0..N
// only, the last segment cut at N by linear interpolation. Runs that stop at a target
// (stop_when) end at different lengths, and their whole-run areas are not comparable; these are.
// Absent (recorded, no value) for a run that stopped before position N, and for a curve that
// does not start at 0 or does not move forward (records no area can be read from).
MetricValue early_area_metric(const RunResult& run, const std::string& when) {
  MetricValue result{!run.epochs.empty(), std::nullopt};
  const double end = std::stod(when.substr(5));
  std::vector<std::pair<double, double>> curve;  // (position, train_error), in file order
  for (const auto& line : run.epochs) {
    // Records without "position" (before mid-epoch evaluations) are at whole epochs.
    auto position = line.value("position", nlohmann::json());
    if (!position.is_number()) position = line.value("epoch", nlohmann::json());
    const auto error = line.value("train_error", nlohmann::json());
    if (position.is_number() && error.is_number())
      curve.emplace_back(position.get<double>(), error.get<double>());
  }
  if (curve.empty() || curve.front().first != 0) return result;
  double area = 0;
  for (size_t i = 1; i < curve.size(); ++i) {
    const auto [p0, e0] = curve[i - 1];
    auto [p1, e1] = curve[i];
    if (p1 <= p0) return result;
    if (p1 > end) {
      e1 = e0 + (e1 - e0) * (end - p0) / (p1 - p0);
      p1 = end;
    }
    area += 0.5 * (e0 + e1) * (p1 - p0);
    if (p1 >= end) {
      result.value = area;
      break;
    }
  }
  return result;
}

// The censoring bound of a target column whose target the run never reached: how far the run
// got, in the column's unit. Empty when `metric` is not such a column.
std::optional<double> censored_length(const RunResult& run, const std::string& metric) {
  if (!run.summary.contains("targets")) return std::nullopt;
  for (const auto& target : run.summary["targets"]) {
    if (target.value("reached", true)) continue;
    const std::string prefix =
        target.value("metric", "") + "_" + format_number(target.value("threshold", 0.0)) + "_";
    if (metric.rfind(prefix, 0) != 0) continue;
    const std::string unit = metric.substr(prefix.size());
    const nlohmann::json last = run.epochs.empty() ? nlohmann::json::object() : run.epochs.back();
    auto number = [](const nlohmann::json& object, const char* key) -> std::optional<double> {
      const auto value = object.value(key, nlohmann::json());
      return value.is_number() ? std::optional<double>(value.get<double>()) : std::nullopt;
    };
    if (unit == "epoch") return number(run.summary, "epochs_completed");
    if (unit == "position") return number(last, "position");
    if (unit == "step") return number(run.summary, "steps");
    if (unit == "images") return number(last, "images_seen");
    if (unit == "seconds") return number(run.summary, "total_seconds");
  }
  return std::nullopt;
}

}  // namespace

bool measures_training(const std::string& metric) {
  if (const auto binary = split_binary(metric))
    return measures_training(binary->left) || measures_training(binary->right);
  for (const char* word : {"error", "loss", "accuracy"}) {
    if (metric.find(word) != std::string::npos) return true;
  }
  return metric.size() > 4 && metric.compare(metric.size() - 4, 4, "_auc") == 0;
}

namespace {

// activation_cost.json's numbers (src/train/activation_cost.cpp), columns of runs that measure it.
const std::vector<std::string> kActivationCostColumns = {"cost_batch_size",
                                                         "cost_activation_layers",
                                                         "cost_elements_per_step",
                                                         "cost_repeats",
                                                         "activation_cost_ns_per_element",
                                                         "relu_cost_ns_per_element",
                                                         "activation_cost_vs_relu",
                                                         "activation_seconds_per_step",
                                                         "step_forward_backward_seconds",
                                                         "activation_share_of_step"};

std::set<std::string> result_columns(const std::vector<std::string>& targets) {
  std::set<std::string> columns = {"run_id", "experiment", "status", "diverged",
                                   "data_fingerprint"};
  std::vector<ConvergenceTarget> parsed;
  for (const auto& text : targets) parsed.push_back(parse_target(text));
  // Named, not temporaries: items() refers into the object it iterates (and GCC 12 warns of
  // maybe-uninitialized vectors inside a temporary TrainConfig).
  const TrainConfig default_config;
  const RunSummary default_summary;
  const nlohmann::json config = to_json(default_config), summary = to_json(default_summary),
                       convergence = convergence_json({}, parsed);
  for (const auto* record : {&config, &summary, &convergence}) {
    for (const auto& [key, value] : record->items()) columns.insert(key);
  }
  for (const auto& target : parsed) {
    for (const char* unit : {"epoch", "position", "step", "images", "seconds"}) {
      columns.insert(fmt::format("{}_{}_{}", target.metric, format_number(target.threshold), unit));
    }
  }
  columns.insert(kActivationCostColumns.begin(), kActivationCostColumns.end());
  columns.erase("targets");
  return columns;
}

bool is_layer_selector(const std::string& layer) {
  static const std::set<std::string> named = {"first", "last", "max", "min", "mean"};
  return named.count(layer) ||
         (!layer.empty() && std::all_of(layer.begin(), layer.end(), ::isdigit));
}

bool is_probe_time(const std::string& when) {
  return when == "init" || when == "final" || is_epoch_time(when);
}

}  // namespace

std::string unknown_metric(const std::string& metric, const std::vector<std::string>& targets) {
  if (const auto binary = split_binary(metric)) {
    if (split_binary(binary->right)) {
      return fmt::format(
          "'{}': one operator at most (NAME / NAME or NAME - NAME); for a change relative to "
          "another metric compare them with metric_b",
          metric);
    }
    const auto left = unknown_metric(binary->left, targets);
    return left.empty() ? unknown_metric(binary->right, targets) : left;
  }
  const auto columns = result_columns(targets);
  if (columns.count(metric)) return "";
  if (const auto epoch = reached_epoch_column(metric); !epoch.empty()) {
    return columns.count(epoch) ? ""
                                : fmt::format(
                                      "'{}': no such target in [targets] (it would be "
                                      "recorded as {})",
                                      metric, epoch);
  }
  // The quantities' fields, and those the probe hook writes beside them (probe_hook.cpp).
  std::set<std::string> fields(probe_hook_fields().begin(), probe_hook_fields().end());
  for (const auto& name : quantity_registry().names()) {
    for (const auto& field : quantity_registry().get(name).fields) fields.insert(field);
  }
  const auto parts = split(metric, '.');
  if (parts.size() == 2 && parts[0] == "grad_norm" &&
      (parts[1] == "first" || parts[1] == "max" || parts[1] == "growth" || parts[1] == "median")) {
    return "";
  }
  if (parts.size() == 2 && parts[0] == "train_error_auc") {
    return is_epoch_time(parts[1]) && std::stoi(parts[1].substr(5)) > 0
               ? ""
               : fmt::format("'{}': write train_error_auc.epochN (N whole epochs, at least 1)",
                             metric);
  }
  if (parts.size() == 3 && fields.count(parts[0])) {
    if (!is_layer_selector(parts[1])) {
      return fmt::format("'{}': the layer must be first, last, max, min, mean or an index", metric);
    }
    if (!is_probe_time(parts[2])) {
      return fmt::format("'{}': the time must be init, final or epochN", metric);
    }
    return "";
  }
  std::vector<std::string> speed;
  for (const auto& column : columns) {
    if (measures_training(column)) speed.push_back(column);
  }
  return fmt::format(
      "unknown metric '{}': use a results column ({}, ..., or a config option), a layer "
      "expression QUANTITY.LAYER.WHEN (QUANTITY one of {}; LAYER first|last|max|min|mean|N; WHEN "
      "init|final|epochN), grad_norm.first|max|growth|median, train_error_auc.epochN (the area "
      "over the "
      "first "
      "N epochs), or 'A / B' or 'A - B' of two of these",
      metric, join(speed), join(std::vector<std::string>(fields.begin(), fields.end())));
}

std::string run_field_text(const RunResult& run, const std::string& key) {
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

bool run_matches(const RunResult& run,
                 const std::vector<std::pair<std::string, std::string>>& filter) {
  return std::all_of(filter.begin(), filter.end(), [&](const auto& condition) {
    return same_option_value(condition.first, run_field_text(run, condition.first),
                             condition.second);
  });
}

bool is_rate_metric(const std::string& metric) {
  return metric == "diverged" || !reached_epoch_column(metric).empty();
}

MetricValue run_metric(const RunResult& run, const std::string& metric) {
  if (const auto binary = split_binary(metric)) {
    const auto left = run_metric(run, binary->left);
    const auto right = run_metric(run, binary->right);
    MetricValue result{left.recorded && right.recorded, std::nullopt};
    // A censored side is a lower bound. Left - exact and left / exact positive stay lower bounds
    // (censored); a censored right side bounds the result from the wrong side: no value.
    if (!left.value || !right.value || right.censored) return result;
    if (binary->op == '-') result.value = *left.value - *right.value;
    if (binary->op == '/' && (left.censored ? *right.value > 0 : *right.value != 0))
      result.value = *left.value / *right.value;
    result.censored = left.censored && result.value.has_value();
    return result;
  }
  const auto row = run.row();
  if (const auto epoch = reached_epoch_column(metric); !epoch.empty()) {
    if (!row.contains(epoch)) return {};
    // A run that diverged did not train, whatever it reached before (the trainability map too).
    const bool diverged = run.status() == RunStatus::diverged;
    return {true, row[epoch].is_number() && !diverged ? 1.0 : 0.0};
  }
  if (row.contains(metric)) {
    const auto& v = row[metric];
    if (v.is_boolean()) return {true, v.get<bool>() ? 1.0 : 0.0};
    if (v.is_number()) return {true, v.get<double>()};
    if (const auto bound = censored_length(run, metric)) return {true, *bound, true};
    return {true, std::nullopt};
  }
  const auto parts = split(metric, '.');
  if (parts.size() == 2 && parts[0] == "grad_norm") return gradient_metric(run, parts[1]);
  if (parts.size() == 2 && parts[0] == "train_error_auc" && is_epoch_time(parts[1]))
    return early_area_metric(run, parts[1]);
  if (parts.size() == 3) return layer_metric(run, parts[0], parts[1], parts[2]);
  return {};
}

}  // namespace actlab
