#pragma once

// The pieces report_data assembles; each reads run records and returns JSON for report.json.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/json_number.h"  // number_or_null, for the report's numbers
#include "src/harness/results.h"

namespace actlab::report {

// Values of one quantity at each x, over runs: {"mean": [...], "min": [...], "max": [...]}, null
// where no run has a finite value. `values[i]` holds the runs' values at the i-th x.
nlohmann::json band(const std::vector<std::vector<double>>& values);

// The learning curves of `runs` (one group) aligned on the recorded evaluation positions
// (`epoch`, fractional for mid-epoch evaluations): position, mean seconds, runs per position, and
// a band per metric.
nlohmann::json group_curves(const std::vector<const RunResult*>& runs);

// One run's curve as recorded: position, seconds and the metrics (runs listed apart, and each
// group's run_curves for the thin lines of the by-activation figure).
nlohmann::json run_curve(const RunResult& run);

// Per convergence target of the runs' summaries: how many reached it, the per-run epochs and the
// means of epoch and seconds (null unless every run reached it).
nlohmann::json group_targets(const std::vector<const RunResult*>& runs);

// The epoch-end probe records of a run: epoch -> records by layer index (K-step probes skipped).
std::map<int, std::map<int, nlohmann::json>> epoch_end_layers(const RunResult& run);

// Heatmaps (layer x epoch means over runs) of `fields`, with layer names and epochs.
nlohmann::json group_layer_maps(const std::vector<const RunResult*>& runs,
                                const std::vector<std::string>& fields);

// Per field, its mean over the activation layers at each epoch-end probe, one per run, as a band
// over runs (the verdicts' FIELD.mean); null when no run recorded any of the fields.
nlohmann::json group_layer_means(const std::vector<const RunResult*>& runs,
                                 const std::vector<std::string>& fields);

// grad_act_rms per layer at the first and last epoch-end probe, and the derivative factor
// anchor * m^(L-1-i) (m = max |f'|, anchored at the last layer's value at the first probe).
nlohmann::json group_gradient_flow(const std::vector<const RunResult*>& runs,
                                   double max_abs_derivative);

// Pre-activation histograms (histograms.jsonl, --probe full) at the first and last probe, pooled
// over runs as fractions of all values; null when no run recorded them.
nlohmann::json group_histograms(const std::vector<std::filesystem::path>& run_dirs);

// max |f'| of an activation spec sampled on [-10, 10]; null for an unknown spec.
nlohmann::json max_abs_derivative(const std::string& activation);

}  // namespace actlab::report
