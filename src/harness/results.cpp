#include "src/harness/results.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/run_metric.h"
#include "src/harness/run_set.h"
#include "src/harness/statistics.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Columns: the union of scalar keys over `rows`, in first-seen order.
std::vector<std::string> columns_of(const std::vector<nlohmann::json>& rows) {
  // Identity and outcome first, then the rest alphabetically (JSON objects keep keys sorted).
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const char* first : {"run_id", "experiment", "status", "epoch", "layer", "index"}) {
    for (const auto& row : rows) {
      if (row.contains(first) && seen.insert(first).second) columns.push_back(first);
    }
  }
  for (const auto& row : rows) {
    for (const auto& [key, value] : row.items()) {
      if (!value.is_structured() && seen.insert(key).second) columns.push_back(key);
    }
  }
  return columns;
}

std::string csv_field(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (value.is_number_float()) return format_number(value.get<double>());
  return value.dump();
}

class Database {
 public:
  // `shown`: the name errors give (the file this one is renamed to).
  Database(const fs::path& path, const fs::path& shown) : path_(shown) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      throw Error(fmt::format("cannot create '{}': {}", path.string(), sqlite3_errmsg(db_)));
    }
  }
  ~Database() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (code != SQLITE_OK) {
      const std::string text = message ? message : "?";
      sqlite3_free(message);
      // A full disk is a write failure like any other (WriteError: the sweep stops, resumable).
      if ((code & 0xFF) == SQLITE_FULL) throw WriteError(path_, ENOSPC);
      if ((code & 0xFF) == SQLITE_IOERR) throw WriteError(path_, EIO);
      throw Error(fmt::format("SQLite: {} in: {}", text, sql.substr(0, 200)));
    }
  }
  // Creates `table` with `columns` (REAL for numbers, TEXT otherwise) and inserts `rows`.
  void write_table(const std::string& table, const std::vector<nlohmann::json>& rows) {
    const auto columns = columns_of(rows);
    if (columns.empty()) {
      exec(fmt::format("CREATE TABLE {} (run_id TEXT)", table));
      return;
    }
    std::vector<std::string> definitions, placeholders;
    for (const auto& column : columns) {
      bool numeric = true;
      for (const auto& row : rows) {
        if (row.contains(column) && !row[column].is_null() && !row[column].is_number() &&
            !row[column].is_boolean()) {
          numeric = false;
        }
      }
      definitions.push_back(fmt::format("\"{}\" {}", column, numeric ? "REAL" : "TEXT"));
      placeholders.push_back("?");
    }
    exec(fmt::format("CREATE TABLE {} ({})", table, join(definitions)));
    std::vector<std::string> quoted;
    for (const auto& column : columns) quoted.push_back("\"" + column + "\"");
    sqlite3_stmt* statement = nullptr;
    const std::string sql =
        fmt::format("INSERT INTO {} ({}) VALUES ({})", table, join(quoted), join(placeholders));
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr);
    for (const auto& row : rows) {
      sqlite3_reset(statement);
      for (size_t i = 0; i < columns.size(); ++i) {
        const int slot = static_cast<int>(i) + 1;
        const auto it = row.find(columns[i]);
        if (it == row.end() || it->is_null()) {
          sqlite3_bind_null(statement, slot);
        } else if (it->is_boolean()) {
          sqlite3_bind_double(statement, slot, it->get<bool>() ? 1 : 0);
        } else if (it->is_number()) {
          sqlite3_bind_double(statement, slot, it->get<double>());
        } else {
          const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
          sqlite3_bind_text(statement, slot, text.c_str(), -1, SQLITE_TRANSIENT);
        }
      }
      sqlite3_step(statement);
    }
    sqlite3_finalize(statement);
  }

 private:
  fs::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

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
  // CSV of the runs table.
  const auto columns = columns_of(runs);
  std::string csv = join(columns, ",") + "\n";
  for (const auto& row : runs) {
    std::vector<std::string> fields;
    for (const auto& column : columns)
      fields.push_back(row.contains(column) ? csv_field(row[column]) : "");
    csv += join(fields, ",") + "\n";
  }
  write_file_atomic(sweep_dir / "results.csv", csv);

  const fs::path temporary = sweep_dir / fmt::format("results.db.tmp{}", ::getpid());
  const auto remove_temporary = [&] {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    fs::remove(fs::path(temporary).concat("-journal"), ignored);
  };
  remove_temporary();
  try {
    {
      Database db(temporary, sweep_dir / "results.db");
      db.exec("BEGIN");
      db.write_table("runs", runs);
      db.write_table("epochs", epochs);
      db.write_table("layers", layers);
      db.exec("COMMIT");
    }
    if (::rename(temporary.c_str(), (sweep_dir / "results.db").c_str()) != 0)
      throw WriteError(sweep_dir / "results.db", errno);
  } catch (...) {  // the previous results.db stays; no temporary file is left behind
    remove_temporary();
    throw;
  }
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
