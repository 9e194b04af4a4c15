#include "src/harness/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/results_tables.h"
#include "src/harness/run_metric.h"
#include "src/harness/run_set.h"
#include "src/harness/statistics.h"

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
  if (summary.contains("status")) row["diverged"] = summary["status"] == "diverged" ? 1 : 0;
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
  result.run = read_record(folder / "run.json", damage);
  result.config = read_record(folder / "config.json", damage);
  result.summary = read_record(folder / "summary.json", damage);
  result.epochs = read_record_lines(folder / "metrics.jsonl", damage);
  result.layers = read_record_lines(folder / "layers.jsonl", damage);
  result.gradients = read_record_lines(folder / "gradients.jsonl", damage);
  result.activation_cost = read_record(folder / "activation_cost.json", damage);
  // Every run writes its epoch-0 evaluation before it can finish.
  if (!fs::exists(folder / "metrics.jsonl") && result.summary.contains("status") &&
      result.summary["status"] != "running") {
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
    if (entry.is_directory() && fs::exists(entry.path() / "config.json"))
      folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) results.push_back(load_run(folder));
  return results;
}

void write_results(const fs::path& sweep_dir, const std::vector<RunResult>& results) {
  std::vector<nlohmann::json> runs, epochs, layers;
  for (const auto& result : results) {
    runs.push_back(result.row());
    for (auto epoch : result.epochs) {
      epoch["run_id"] = result.id;
      epochs.push_back(std::move(epoch));
    }
    for (auto layer : result.layers) {
      layer["run_id"] = result.id;
      layers.push_back(std::move(layer));
    }
  }
  write_csv_table(sweep_dir / "results.csv", runs);
  write_sqlite_tables(sweep_dir / "results.db",
                      {{"runs", runs}, {"epochs", epochs}, {"layers", layers}});
}

std::string compare_table(const RunSet& runs, const std::vector<std::string>& by,
                          const std::vector<std::string>& metrics) {
  struct Cell {
    std::vector<double> values;
    int recorded = 0;  // runs that record the metric (reached or not)
  };
  std::map<std::vector<std::string>, std::map<std::string, Cell>> groups;
  std::map<std::vector<std::string>, int> counts;
  for (const auto& result : runs.finished) {
    const auto row = result.row();
    std::vector<std::string> key;
    const auto axes = result.run.value("axes", nlohmann::json::object());
    for (const auto& column : by) {
      if (row.contains(column)) {
        key.push_back(row[column].is_string() ? row[column].get<std::string>()
                                              : row[column].dump());
      } else if (axes.contains(column) && axes[column].is_string()) {
        key.push_back(axes[column].get<std::string>());  // an arm's label
      } else {
        key.push_back("-");
      }
    }
    ++counts[key];
    for (const auto& metric : metrics) {
      const MetricValue value = run_metric(result, metric);
      Cell& cell = groups[key][metric];
      if (value.recorded) ++cell.recorded;
      if (value.value && std::isfinite(*value.value)) cell.values.push_back(*value.value);
    }
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header = by;
  header.push_back("runs");
  for (const auto& metric : metrics) header.push_back(metric);
  cells.push_back(header);
  for (const auto& [key, count] : counts) {
    std::vector<std::string> line = key;
    line.push_back(std::to_string(count));
    for (const auto& metric : metrics) {
      const Cell& cell = groups[key][metric];
      const auto& values = cell.values;
      if (cell.recorded == 0) {
        line.push_back("not recorded");  // no run of the group has this metric at all
        continue;
      }
      if (values.empty()) {
        line.push_back(fmt::format("never ({}/{})", cell.recorded, count));  // not reached
        continue;
      }
      const double mean = mean_of(values);
      const double spread = sample_std(values);
      std::string text = values.size() > 1 ? fmt::format("{:.4g} ± {:.2g}", mean, spread)
                                           : fmt::format("{:.4g}", mean);
      if (static_cast<int>(values.size()) < count)
        text += fmt::format(" ({}/{} reached)", values.size(), count);
      line.push_back(text);
    }
    cells.push_back(line);
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string table;
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t i = 0; i < cells[r].size(); ++i) {
      // fmt pads by display width, so a "±" (two bytes, one column) lines up like the rest.
      table += fmt::format("{:<{}}  ", cells[r][i], widths[i]);
    }
    table += "\n";
    if (r == 0) {
      for (size_t i = 0; i < widths.size(); ++i) table += std::string(widths[i], '-') + "  ";
      table += "\n";
    }
  }
  if (counts.empty()) table += "(no finished run of the current grid)\n";
  const std::string apart = apart_listing(runs);
  if (!apart.empty()) {
    table += fmt::format("\nNot averaged ({} runs; mean ± sample std over seeds above):\n{}",
                         runs.diverged.size() + runs.apart.size(), apart);
  }
  return table;
}

}  // namespace actlab
