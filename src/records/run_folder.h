#pragma once

// The one reader of run folders (docs/records.md): what `actlab train` wrote, read back by the
// verdicts, the report, the results tables, compare, collect, the sweep and Slurm's status.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "src/records/run_status.h"

namespace actlab {

// The record files of a run folder (docs/records.md), written by src/train and src/probes.
namespace record_file {
inline constexpr const char* kRun = "run.json";  // written by the sweep: id, experiment, axes
inline constexpr const char* kConfig = "config.json";
inline constexpr const char* kSummary = "summary.json";
inline constexpr const char* kMetrics = "metrics.jsonl";
inline constexpr const char* kLayers = "layers.jsonl";
inline constexpr const char* kHistograms = "histograms.jsonl";
inline constexpr const char* kGradients = "gradients.jsonl";
inline constexpr const char* kActivationCost = "activation_cost.json";
inline constexpr const char* kLog = "log.txt";  // the run's output, written by the sweep
}  // namespace record_file

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

  // summary.json's status; none when there is no summary or its word is not a status.
  std::optional<RunStatus> status() const;
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
// metrics.jsonl beside a summary fills `damage`. Histograms are not read (large; see below).
RunResult load_run(const std::filesystem::path& run_dir);

// Every run folder under SWEEP/runs/, in name order. Folders without config.json are skipped.
std::vector<RunResult> load_results(const std::filesystem::path& sweep_dir);

// Whether DIR is a run folder (it holds config.json), not a sweep folder.
bool is_run_folder(const std::filesystem::path& dir);

// Whether a run was started in `run_dir` (its config.json or log.txt exists).
bool run_started(const std::filesystem::path& run_dir);

// A run folder's summary.json (an empty object when missing or half-written).
nlohmann::json read_run_summary(const std::filesystem::path& run_dir);

// Whether the run in `run_dir` has a final summary (completed or diverged: outcomes that would
// repeat), so that no sweep runs it again.
bool run_is_final(const std::filesystem::path& run_dir);

// A run folder's status from its summary.json alone (none: no summary, or not a status).
std::optional<RunStatus> read_run_status(const std::filesystem::path& run_dir);

// The commit that made a run, from config.json ("" when it does not say, or says unknown).
std::string read_run_commit(const std::filesystem::path& run_dir);

// histograms.jsonl (--probe full), read only by the report.
std::vector<nlohmann::json> load_histograms(const std::filesystem::path& run_dir);

}  // namespace actlab
