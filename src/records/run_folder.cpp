#include "src/records/run_folder.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "src/core/files.h"
#include "src/core/spec.h"

namespace actlab {

namespace fs = std::filesystem;

nlohmann::json read_json_or_empty(const fs::path& path) {
  if (!fs::exists(path)) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();  // half-written by a killed writer: treat as absent
  }
}

nlohmann::json RunResult::row() const {
  nlohmann::json row = {{"run_id", id}, {"experiment", run.value("experiment", "")}};
  for (const auto& [key, value] : config.items()) {
    if (!value.is_structured()) row[key] = value;
  }
  for (const auto& [key, value] : summary.items()) {
    if (!value.is_structured()) row[key] = value;
  }
  if (summary.contains("status")) row["diverged"] = status() == RunStatus::diverged ? 1 : 0;
  if (!damage.empty()) row["damage"] = join(damage, "; ");
  // Which data the numbers came from (config.json resolved.data, docs/records.md).
  if (config.contains("resolved") && config["resolved"].contains("data") &&
      config["resolved"]["data"].value("fingerprint", nlohmann::json()).is_string()) {
    row["data_fingerprint"] = config["resolved"]["data"]["fingerprint"];
  }
  for (const auto& [key, value] : activation_cost.items()) {
    if (!value.is_structured() && key != "activation") row[key] = value;
  }
  if (summary.contains("targets")) {
    for (const auto& target : summary["targets"]) {
      const std::string prefix = fmt::format("{}_{}", target.at("metric").get<std::string>(),
                                             format_number(target.at("threshold").get<double>()));
      row[prefix + "_epoch"] = target.value("epoch", nlohmann::json(nullptr));
      row[prefix + "_position"] = target.value("position", nlohmann::json(nullptr));
      row[prefix + "_step"] = target.value("step", nlohmann::json(nullptr));
      row[prefix + "_images"] = target.value("images_seen", nlohmann::json(nullptr));
      row[prefix + "_seconds"] = target.value("seconds", nlohmann::json(nullptr));
    }
  }
  return row;
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::vector<nlohmann::json> records;
  if (!fs::exists(path)) return records;
  std::istringstream lines(read_file(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    try {
      records.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
    }
  }
  return records;
}

namespace {

// A record file's object; what is wrong with it goes to `damage` (absent is not damage).
nlohmann::json read_record(const fs::path& path, std::vector<std::string>& damage) {
  if (!fs::exists(path)) return nlohmann::json::object();
  try {
    auto json = nlohmann::json::parse(read_file(path));
    if (json.is_object()) return json;
    damage.push_back(fmt::format("{} is not a JSON object", path.filename().string()));
  } catch (const nlohmann::json::exception& error) {
    std::string what = error.what();
    if (const auto colon = what.rfind(": "); colon != std::string::npos)
      what = what.substr(colon + 2);
    damage.push_back(fmt::format("{} is not JSON ({})", path.filename().string(), what));
  }
  return nlohmann::json::object();
}

std::vector<nlohmann::json> read_record_lines(const fs::path& path,
                                              std::vector<std::string>& damage) {
  std::vector<nlohmann::json> records;
  if (!fs::exists(path)) return records;
  std::istringstream lines(read_file(path));
  std::string line;
  int number = 0;
  std::vector<int> bad;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      records.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      bad.push_back(number);
    }
  }
  if (!bad.empty()) {
    damage.push_back(fmt::format(
        "{} line {} is not JSON{}", path.filename().string(), bad.front(),
        bad.size() > 1 ? fmt::format(" ({} lines)", bad.size()) : std::string(" (half-written?)")));
  }
  return records;
}

}  // namespace

RunResult load_run(const fs::path& folder) {
  RunResult result;
  result.id = folder.filename().string();
  auto& damage = result.damage;
  result.run = read_record(folder / record_file::kRun, damage);
  result.config = read_record(folder / record_file::kConfig, damage);
  result.summary = read_record(folder / record_file::kSummary, damage);
  result.epochs = read_record_lines(folder / record_file::kMetrics, damage);
  result.layers = read_record_lines(folder / record_file::kLayers, damage);
  result.gradients = read_record_lines(folder / record_file::kGradients, damage);
  result.activation_cost = read_record(folder / record_file::kActivationCost, damage);
  // Every run writes its epoch-0 evaluation before it can finish.
  if (!fs::exists(folder / record_file::kMetrics) && result.summary.contains("status") &&
      result.status() != RunStatus::running) {
    damage.push_back("metrics.jsonl is missing");
  }
  // A field of the wrong type is damage too: the readers after this one trust the shapes they
  // read (status and message strings, targets a list of objects, run.json's fields).
  try {
    result.summary.value("status", std::string());
    result.summary.value("message", std::string());
    result.run.value("quick", false);
    result.run.value("experiment", std::string());
    (void)result.row();
  } catch (const nlohmann::json::exception& error) {
    std::string what = error.what();
    if (const auto space = what.find("] "); space != std::string::npos)
      what = what.substr(space + 2);
    damage.push_back(fmt::format("a record has a field of the wrong type ({})", what));
    result.summary = nlohmann::json::object();
    result.run = nlohmann::json::object();
    result.config = nlohmann::json::object();
    result.activation_cost = nlohmann::json::object();
  }
  return result;
}

std::vector<RunResult> load_results(const fs::path& sweep_dir) {
  std::vector<RunResult> results;
  const fs::path runs = sweep_dir / "runs";
  if (!fs::is_directory(runs)) return results;
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(runs)) {
    if (entry.is_directory() && fs::exists(entry.path() / record_file::kConfig))
      folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) results.push_back(load_run(folder));
  return results;
}

namespace {

std::optional<RunStatus> status_of(const nlohmann::json& summary) {
  const auto word = summary.find("status");
  if (word == summary.end() || !word->is_string()) return std::nullopt;
  return parse_run_status(word->get<std::string>());
}

}  // namespace

std::optional<RunStatus> RunResult::status() const {
  return status_of(summary);
}

bool is_run_folder(const fs::path& dir) {
  return fs::exists(dir / record_file::kConfig);
}

bool run_started(const fs::path& run_dir) {
  return fs::exists(run_dir / record_file::kConfig) || fs::exists(run_dir / record_file::kLog);
}

nlohmann::json read_run_summary(const fs::path& run_dir) {
  return read_json_or_empty(run_dir / record_file::kSummary);
}

std::optional<RunStatus> read_run_status(const fs::path& run_dir) {
  return status_of(read_run_summary(run_dir));
}

bool run_is_final(const fs::path& run_dir) {
  return is_final(read_run_status(run_dir));
}

std::string read_run_commit(const fs::path& run_dir) {
  const auto config = read_json_or_empty(run_dir / record_file::kConfig);
  if (!config.contains("resolved") || !config["resolved"].is_object()) return "";
  const auto commit = config["resolved"].find("git_commit");
  if (commit == config["resolved"].end() || !commit->is_string()) return "";
  return *commit == "unknown" ? "" : commit->get<std::string>();
}

std::vector<nlohmann::json> load_histograms(const fs::path& run_dir) {
  return read_jsonl(run_dir / record_file::kHistograms);
}

}  // namespace actlab
