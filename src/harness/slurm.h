#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/sweep.h"

namespace actlab {

// `actlab run FILE --slurm [-- SBATCH OPTIONS]`: submits the sweep's runs that are neither final
// nor already queued as ONE Slurm job array (task i runs the i-th of them with
// `actlab run --only ID`), plus a job that runs `actlab collect` once the array has ended
// (afterany), so that no two tasks rebuild results.db at once. Each submission leaves
// DIR/slurm/submit-N.sbatch (the script), DIR/slurm/submit-N.toml (the experiment as submitted)
// and a record in DIR/slurm/submissions.json that --status reads. Prints the job ids and returns
// 0 at once. Nothing to submit is not an error. Throws Error when sbatch is missing or refuses.
int submit_sweep_to_slurm(const Experiment& experiment, const SweepOptions& options,
                          const std::vector<std::string>& sbatch_options);

// `actlab run FILE --emit slurm`: writes SWEEP/sweep.sbatch (the grid as one job array, for the
// user to submit) and SWEEP/experiment.toml, the copy its tasks read. Throws Error when the
// experiment's [tune] stage has not run yet.
int emit_slurm_script(const Experiment& experiment, const SweepOptions& options);

// `actlab run FILE --status`: one line per run of the grid with its state (finished, diverged,
// running, pending, failed, todo) and its Slurm task when it was submitted, then the counts.
// Queue states come from squeue when the sweep was submitted to Slurm.
int print_sweep_status(const Experiment& experiment, const SweepOptions& options);

// Who submits an array script: the user (`actlab run --emit slurm` writes SWEEP/sweep.sbatch) or
// actlab itself (`actlab run --slurm`, which also submits the collect job).
enum class SlurmSubmitter { user, actlab };

// The one job-array script: `runs` in array order, each task running one of them with the CPUs
// (and GPU) Slurm gives it. `experiment_copy` is the experiment file the tasks read (the sweep
// folder's copy, so that editing the original cannot change a queued array).
std::string slurm_array_script(const Experiment& experiment, const std::vector<RunSpec>& runs,
                               const SweepOptions& options,
                               const std::filesystem::path& experiment_copy,
                               SlurmSubmitter submitter = SlurmSubmitter::actlab);

// The collect job's script: `actlab collect` (and `actlab verdict` when the experiment has
// verdicts) on the sweep folder `out`, once the array has ended.
std::string collect_script(const Experiment& experiment, const SweepOptions& options,
                           const std::filesystem::path& out);

// The sbatch options that the collect job also gets: the user's, minus GPU requests (--gres,
// --gpus*, -G), since collecting needs no GPU.
std::vector<std::string> collect_job_options(const std::vector<std::string>& sbatch_options);

// Splits "--partition=gpu --time 1:00:00" at whitespace ('single' or "double" quotes group).
std::vector<std::string> split_shell_words(const std::string& text);

}  // namespace actlab
