#pragma once

// What a run shows in TensorBoard's HParams dashboard, chosen from its records: the hparams are
// its options (config.json, less `resolved` and `out_dir`) and, in a sweep, its experiment and
// the grid values of run.json that are not options (e.g. an `arm` label), the grid values first
// and marked as differing (TensorBoard's table shows those as its columns); the metrics are
// summary scalars written
// when the run ends. Every run of a sweep has the same keys (every option is always in
// config.json and a sweep's axes are fixed), so TensorBoard never drops one; keys and tags:
// docs/records.md.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/tensorboard/summary.h"

namespace actlab::tensorboard {

// `config`: config.json's object; `run`: run.json's (an empty object outside a sweep).
nlohmann::ordered_json run_hparams(const nlohmann::json& config, const nlohmann::json& run);

// The hparams that differ between a sweep's runs: its grid axes (run.json), none outside a sweep.
std::vector<std::string> varied_hparams(const nlohmann::json& run);

// The metrics of a run with these targets (config.json's "targets", e.g. "train_error=0.25"):
// summary/final_test_error, summary/best_test_error, summary/final_train_error,
// summary/epochs_completed, summary/train_error_auc and per target summary/<metric>_<threshold>_
// epochs (blank when never reached: the run's epochs are then a lower bound) and _reached (0/1).
std::vector<HParamsMetric> summary_metrics(const std::vector<std::string>& targets);

// The scalar values of those metrics in a summary.json record, as {tag, value} pairs; metrics the
// record lacks (an unreached target's epochs) are left out.
std::vector<std::pair<std::string, double>> summary_metric_values(const nlohmann::json& summary);

// The session status a summary.json status stands for: completed is success, diverged and failed
// are failure, interrupted (resumable) unknown.
SessionStatus session_status(const std::string& status);

}  // namespace actlab::tensorboard
