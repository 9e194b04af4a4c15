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
  std::vector<nlohmann::json> gradients;              // gradients.jsonl
  // activation_cost.json (--measure-activation-cost), an empty object when absent.
  nlohmann::json activation_cost = nlohmann::json::object();
  // What is wrong with the folder's records, one line each ("summary.json is not JSON: ..."):
  // a damaged run is listed apart, never averaged.
  std::vector<std::string> damage;
  // One flat row: run_id, experiment, status, every scalar of config and summary, and per target
  // "<metric>_<value>_epoch|_position|_step|_images|_seconds" (e.g. train_error_0.25_epoch), and
  // the scalars of activation_cost.json but its "activation" (config.json's already).
  nlohmann::json row() const;
};

// The JSON object in `path`; an empty object when the file is missing or half-written.
nlohmann::json read_json_or_empty(const std::filesystem::path& path);

// The records of a JSON Lines file, one per line; half-written or malformed lines are skipped and
// a missing file gives none.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

// One run folder (config.json, metrics.jsonl, ...); the id is the folder's name. A record file
// that is not JSON, a JSON Lines file with a line that is not (half-written), or a missing
// metrics.jsonl beside a summary fills `damage`.
RunResult load_run(const std::filesystem::path& run_dir);

// Every run folder under SWEEP/runs/, in name order. Folders without config.json are skipped.
std::vector<RunResult> load_results(const std::filesystem::path& sweep_dir);

// Rebuilds SWEEP/results.csv (the runs) and SWEEP/results.db (SQLite tables runs, epochs,
// layers) from `results`. Both are written to temporary files and renamed into place, and only
// the sweep's parent process writes them, so parallel runs and crashes never corrupt them.
void write_results(const std::filesystem::path& sweep_dir, const std::vector<RunResult>& results);

struct RunSet;

// `actlab compare`: mean and spread (sample std over runs, i.e. seeds) of `metrics` (see
// run_metric) grouped by the `by` columns, over the finished runs of the current grid only; the
// runs listed apart (stale, killed, diverged) follow the table, never averaged. A metric no run
// of a group records prints "not recorded"; one recorded but never reached prints "never".
std::string compare_table(const RunSet& runs, const std::vector<std::string>& by,
                          const std::vector<std::string>& metrics);

}  // namespace actlab
