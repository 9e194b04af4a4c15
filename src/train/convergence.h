#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

// "Time to reach X": a metric of the evaluations and the value it must fall to (or below).
// Metrics: train_error, test_error, train_loss, test_loss (eval mode) and train_error_running,
// train_loss_running (the epoch's batches so far as trained, cuda-convnet's figure; none at
// epoch 0, so never reached there).
struct ConvergenceTarget {
  std::string metric;
  double threshold = 0;
};

// Parses "train_error=0.25"; throws Error listing the valid metrics.
ConvergenceTarget parse_target(const std::string& text);

// Parses --stop-when "train_error<=0.25" (the same metrics); throws Error naming the form.
ConvergenceTarget parse_stop_condition(const std::string& text);

// The metric's value at an evaluation; nullopt for a running metric that is not recorded there.
std::optional<double> metric_value(const EpochMetrics& metrics, const std::string& metric);

// Whether the evaluation meets the target (metric recorded and <= threshold).
bool reaches(const EpochMetrics& metrics, const ConvergenceTarget& target);

// For each target, the first evaluation that reached it: {"metric", "threshold", "reached",
// "epoch", "position", "step", "images_seen", "seconds"} (nulls when never reached). Evaluations
// happen after whole epochs, and every 1/N epoch with --evals-per-epoch N ("position" is then
// fractional, "epoch" the epoch being trained); nothing is interpolated between them. Also
// "train_error_auc": the area under the training-error curve over positions (trapezoids from 0),
// lower = faster.
nlohmann::json convergence_json(const std::vector<EpochMetrics>& metrics,
                                const std::vector<ConvergenceTarget>& targets);

}  // namespace actlab
