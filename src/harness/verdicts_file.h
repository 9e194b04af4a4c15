#pragma once

// SWEEP/verdicts.json: written by the verdict engine (`actlab verdict`, the end of `actlab run`),
// read by everything that shows verdicts (the report, RESULTS.md), which never recompute them.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"

namespace actlab {

// Evaluates the verdicts of DIR/experiment.toml over DIR's runs and writes DIR/verdicts.json
// (atomically); print_verdicts also prints the table and never throws.
std::vector<VerdictResult> write_verdicts(const std::filesystem::path& dir);
std::vector<VerdictResult> write_verdicts(const std::filesystem::path& dir,
                                          const Experiment& experiment, const RunSet& runs);
void print_verdicts(const std::filesystem::path& dir);

// The verdicts DIR/verdicts.json holds (its "verdicts" list, as to_json wrote them), checked
// against what the folder holds now: the experiment's verdicts (each [[verdict]] by its line and
// sentence) and the runs it judged (finished, diverged, listed apart). Throws Error naming the
// difference and the fix (`actlab verdict DIR`) when the file is missing, damaged or stale, so
// that no report shows verdicts of other runs.
nlohmann::json read_verdicts(const std::filesystem::path& dir, const Experiment& experiment,
                             const RunSet& runs);

}  // namespace actlab
