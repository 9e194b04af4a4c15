#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/harness/results.h"

namespace actlab {

// One number of one run, as tables and verdicts use it.
struct MetricValue {
  bool recorded = false;        // the run records this metric at all
  std::optional<double> value;  // null when recorded but absent
  // A target never reached is right-censored: `value` is then the run's length in the metric's
  // unit (epochs, position, steps, images, seconds), a lower bound of the true value.
  bool censored = false;
};

// `metric` is one of:
// - a column of results.csv (RunResult::row()): "best_test_error", "train_error_0.25_epoch";
// - a layer expression QUANTITY.LAYER.WHEN over layers.jsonl: QUANTITY a layers.jsonl field
//   ("grad_act_rms"), LAYER "first" | "last" | "max" | "min" | "mean" (over layers) | an index,
//   WHEN "init" (step 0) | "final" (the last probe) | "epochN" (the probe after epoch N);
// - "grad_norm.first" | "grad_norm.max" | "grad_norm.growth" (max / first) | "grad_norm.median"
//   (over the finite norms) of the global gradient norm over the run's steps (gradients.jsonl; per
//   step with probe_per_step, else epoch maxima);
// - "train_error_auc.epochN", the training-error area over positions 0..N (none for a run that
//   stopped earlier): comparable across runs that stop at a target;
// - "A / B", the ratio of two of the above (e.g. "grad_act_rms.first.init /
// grad_act_rms.last.init"), or "A - B", their difference (what training changed:
// "sparsity.mean.final - sparsity.mean.init").
// A target column ("train_error_0.25_position") of a run that never reached the target comes back
// censored at the run's length.
MetricValue run_metric(const RunResult& run, const std::string& metric);

// The speed or accuracy of training: an error, loss or accuracy column, a training-error area,
// or the time to a target of one of them (either side of "A / B"). Verdicts over these compare
// only groups that trained.
bool measures_training(const std::string& metric);

// Why `metric` names nothing a run of this sweep records ("" when it does): not a results column
// (config and summary fields, the columns of `targets`, "METRIC=VALUE" as in config.json), not
// a layer expression over a probe quantity's field, not a gradient-norm metric. The text lists
// what is valid, for a FILE:LINE error before anything runs.
std::string unknown_metric(const std::string& metric, const std::vector<std::string>& targets);

// A run's value of `key` as text: its config.json field, else its grid value (an arm's label
// from run.json's axes); "" when neither has it.
std::string run_field_text(const RunResult& run, const std::string& key);

// Whether the run has every (key, value) of `filter` (values compared canonically).
bool run_matches(const RunResult& run,
                 const std::vector<std::pair<std::string, std::string>>& filter);

// A 0/1 outcome of each run, judged as a rate by an exact test: "diverged", and TARGET_reached
// for a convergence target ("train_error_0.5_reached": 1 when the run reached it and did not
// diverge, else 0). Verdicts on either count diverged runs (include_diverged is implied).
bool is_rate_metric(const std::string& metric);

}  // namespace actlab
