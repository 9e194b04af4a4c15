#pragma once

#include <optional>
#include <string>

#include "src/harness/results.h"

namespace actlab {

// One number of one run, as tables and verdicts use it.
struct MetricValue {
  bool recorded = false;        // the run records this metric at all
  std::optional<double> value;  // null when recorded but absent (a target never reached)
};

// `metric` is one of:
// - a column of results.csv (RunResult::row()): "best_test_error", "train_error_0.25_epoch";
// - a layer expression QUANTITY.LAYER.WHEN over layers.jsonl: QUANTITY a layers.jsonl field
//   ("grad_act_rms"), LAYER "first" | "last" | "max" | "min" | "mean" (over layers) | an index,
//   WHEN "init" (step 0) | "final" (the last probe) | "epochN" (the probe after epoch N);
// - "grad_norm.first" | "grad_norm.max" | "grad_norm.growth" (max / first) of the global gradient
//   norm over the run's steps (gradients.jsonl; per step with probe_per_step, else epoch maxima);
// - "A / B", the ratio of two of the above (e.g. "grad_act_rms.first.init /
// grad_act_rms.last.init").
MetricValue run_metric(const RunResult& run, const std::string& metric);

}  // namespace actlab
