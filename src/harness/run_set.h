#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "src/harness/results.h"

namespace actlab {

// A sweep's runs split into those a table may average and those it must list apart. A number is
// only as good as its runs: killed runs (their start-time summary says error 1.0), runs of an
// older grid (an id the current experiment file no longer produces) and diverged runs (their
// curves are shorter, so areas under them look fastest) are never averaged silently.
struct RunSet {
  std::vector<RunResult> finished;  // completed, of the current grid
  std::vector<RunResult> diverged;  // diverged, of the current grid (a final outcome)
  struct Apart {
    RunResult run;
    std::string reason;  // "stale (older grid)" | "killed or still running" | "interrupted" | ...
  };
  std::vector<Apart> apart;  // everything else, with why
  std::string grid_note;     // how the current grid was determined (or why it could not be)
};

// The profile a run was launched with, from run.json ("profile", or the older "quick" flag); ""
// for the full profile.
std::string run_profile(const RunResult& run);

// Classifies `results` of `sweep_dir`. The current grid is the one of SWEEP/experiment.toml (the
// copy `actlab run` keeps) expanded with each run's profile; without that file (single run
// folders, `actlab train --out` under runs/) no run counts as stale.
RunSet classify_runs(const std::filesystem::path& sweep_dir, std::vector<RunResult> results);

// One line per run listed apart, e.g. "  stale (older grid): activation-relu_seed-0_1a2b3c4d".
std::string apart_listing(const RunSet& runs);

}  // namespace actlab
