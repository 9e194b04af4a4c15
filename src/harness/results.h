#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/records/run_folder.h"

namespace actlab {

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
