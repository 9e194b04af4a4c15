#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

// "Time to reach X": a metric of the evaluations and the value it must fall to (or below).
struct ConvergenceTarget {
  std::string metric;  // train_error | test_error | train_loss | test_loss
  double threshold = 0;
};

// Parses "train_error=0.25"; throws Error listing the valid metrics.
ConvergenceTarget parse_target(const std::string& text);

// For each target, the first evaluation that reached it: {"metric", "threshold", "reached",
// "epoch", "position", "step", "images_seen", "seconds"} (nulls when never reached). Evaluations
// happen after whole epochs, and every 1/N epoch with --evals-per-epoch N ("position" is then
// fractional, "epoch" the epoch being trained); nothing is interpolated between them. Also
// "train_error_auc": the area under the training-error curve over positions (trapezoids from 0),
// lower = faster.
nlohmann::json convergence_json(const std::vector<EpochMetrics>& metrics,
                                const std::vector<ConvergenceTarget>& targets);

}  // namespace actlab
