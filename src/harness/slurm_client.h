#pragma once

// The Slurm client behind `actlab run --slurm` and `--status`: sbatch and squeue, and the record
// of what was submitted (SWEEP/slurm/submissions.json).

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/sweep.h"

namespace actlab::slurm {

// SWEEP/slurm: the scripts, the experiment copies, the logs and submissions.json.
std::filesystem::path slurm_folder(const std::filesystem::path& out);
std::filesystem::path submissions_file(const std::filesystem::path& out);

// submissions.json's list (empty when there is none).
nlohmann::json read_submissions(const std::filesystem::path& out);

// Runs `sbatch --parsable ARGS...` and returns the job id it prints ("123" or "123;cluster").
// Throws Error when sbatch is missing or refuses `what`.
std::string sbatch(const std::vector<std::string>& arguments, const std::string& what);

struct QueuedTask {
  std::string task;   // "123_4"
  std::string state;  // "pending", "running", or squeue's state in lower case
};

// Run id -> its task in the queue, for the runs of `submissions` that squeue still lists.
// Throws Error when squeue cannot be asked.
std::map<std::string, QueuedTask> queued_runs(const nlohmann::json& submissions);

// Run id -> "123_4", the task of its latest submission.
std::map<std::string, std::string> submitted_tasks(const nlohmann::json& submissions);

// The sweep's grid runs (with the tuned choice). Throws Error when `require_tuning` and the
// experiment's [tune] stage has not run.
std::vector<RunSpec> sweep_runs(const Experiment& experiment, const SweepOptions& options,
                                const std::filesystem::path& out, bool require_tuning);

}  // namespace actlab::slurm
