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
