#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace actlab {

// What one run folder holds, read back from its files.
struct RunResult {
  std::string id;
  nlohmann::json run =
      nlohmann::json::object();  // run.json: {"run_id", "experiment", "axes": {...}}
  nlohmann::json config = nlohmann::json::object();   // config.json
  nlohmann::json summary = nlohmann::json::object();  // summary.json
  std::vector<nlohmann::json> epochs;                 // metrics.jsonl
  std::vector<nlohmann::json> layers;                 // layers.jsonl
  // activation_cost.json (--measure-activation-cost), an empty object when absent.
  nlohmann::json activation_cost = nlohmann::json::object();
  // One flat row: run_id, experiment, status, every scalar of config and summary, and per target
  // "<metric>_<value>_epoch|_position|_step|_images|_seconds" (e.g. train_error_0.25_epoch), and
  // the scalars of activation_cost.json but its "activation" (config.json's already).
  nlohmann::json row() const;
};

// The JSON object in `path`; an empty object when the file is missing or half-written.
nlohmann::json read_json_or_empty(const std::filesystem::path& path);

// Every run folder under SWEEP/runs/, in name order. Folders without config.json are skipped.
std::vector<RunResult> load_results(const std::filesystem::path& sweep_dir);

// Rebuilds SWEEP/results.csv (the runs) and SWEEP/results.db (SQLite tables runs, epochs,
// layers) from `results`. Both are written to temporary files and renamed into place, and only
// the sweep's parent process writes them, so parallel runs and crashes never corrupt them.
void write_results(const std::filesystem::path& sweep_dir, const std::vector<RunResult>& results);

// `actlab compare`: mean and spread (sample std over runs, i.e. seeds) of `metrics` grouped by
// the `by` columns, as a text table.
std::string compare_table(const std::vector<RunResult>& results, const std::vector<std::string>& by,
                          const std::vector<std::string>& metrics);

}  // namespace actlab
