#pragma once

// The answer at the neighbouring rates: for a sweep with [tune] neighbours = true, each verdict's
// effect recomputed with one side's first-seed run moved to a candidate next to its chosen value
// (tuning.h, neighbour_runs), so that a reader sees whether the verdict rests on the exact rate
// the tuning picked. Single runs: shown beside the verdict, never tested.

#include <filesystem>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"

namespace actlab {

// evaluate_verdicts over `runs` (SWEEP's grid runs), each verdict with its neighbour effects
// from SWEEP/neighbours/runs (the runs of the current choice only; none without that folder).
// `actlab verdict`, the report and RESULTS.md all read verdicts through this.
std::vector<VerdictResult> evaluate_sweep_verdicts(const Experiment& experiment,
                                                   const std::filesystem::path& sweep,
                                                   const RunSet& runs);

// Adds the neighbour effects to `verdicts`: for each neighbour run in a verdict's scope and
// side, the other side's grid run of the same seed is its partner.
void add_neighbour_effects(const Experiment& experiment, const RunSet& grid,
                           const std::vector<RunResult>& neighbours,
                           std::vector<VerdictResult>& verdicts);

// "lr 0.01 for a (seed 0): 38.5 / 5.25 = 7.33; ..." or "" without neighbours.
std::string neighbours_text(const VerdictResult& verdict);

}  // namespace actlab
