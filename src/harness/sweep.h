#pragma once

#include <filesystem>
#include <string>

#include "src/harness/experiment.h"
#include "src/harness/verdict.h"

namespace actlab {

struct SweepOptions {
  std::string profile;  // "" = full, or a profile the file declares ("quick", "standard")
  int jobs = 1;         // runs at a time
  std::string device = "auto";
  std::filesystem::path out;  // default: runs/<name>, runs/<name>-<profile> for a profile
  bool dry_run = false;       // list the runs and which are done, run nothing
  std::string only;           // run just this run id (Slurm array tasks)
  std::string emit;           // "slurm": write an sbatch job-array script instead of running
  std::filesystem::path actlab_binary;  // the `actlab` that runs each configuration
  // Also re-run finished runs whose config.json names another git commit than this build's
  // (without it they are kept and counted in one line per commit).
  bool rerun_stale_code = false;
};

// `actlab run`: expands the experiment, skips runs whose summary.json is final (completed or
// diverged: deterministic outcomes that would repeat), runs the others as `actlab train`
// processes, `jobs` at a time, each with its output in RUN/log.txt, and rebuilds results.csv
// and results.db as runs finish, then prints the file's verdicts. A crash or divergence of one
// run never stops the sweep, nor does a failure to write the results tables (reported in one
// line). One writer per folder: a second sweep on it throws Error (SweepLock). SIGINT, SIGTERM
// and SIGHUP stop the runs (forwarded as SIGTERM, SIGKILL after a grace or a second signal).
// Returns the process exit code: 0 when every run ended completed or diverged, 128 + the signal
// when stopped.
int run_sweep(const Experiment& experiment, SweepOptions options);

// The sweep folder for `experiment` under `options` (applies the default).
std::filesystem::path sweep_dir(const Experiment& experiment, const SweepOptions& options);

}  // namespace actlab
