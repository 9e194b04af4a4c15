#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace actlab {

// The numbers of `actlab report`: for each folder (a sweep folder, a folder of run folders, or a
// single run folder) its groups (finished runs of the current grid that differ only in seed) with
// curves, per-layer maps, gradient flow and histograms as mean and min-max band over seeds, the
// runs listed apart, every run's configuration and provenance, and the experiment's verdicts.
// docs/records.md ("Reports: report.json") documents it; the drawing side only draws it.
nlohmann::json report_data(const std::vector<std::filesystem::path>& dirs);

}  // namespace actlab
