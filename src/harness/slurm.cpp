#include "src/harness/slurm.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/slurm_client.h"
#include "src/harness/sweep_lock.h"
#include "src/harness/tuned_rates.h"
#include "src/records/run_folder.h"

namespace actlab {

namespace fs = std::filesystem;
using namespace slurm;

namespace {

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

}  // namespace

int emit_slurm_script(const Experiment& experiment, const SweepOptions& options) {
  const fs::path out = sweep_dir(experiment, options);
  const std::vector<RunSpec> runs = sweep_runs(experiment, options, out, true);
  fs::create_directories(slurm_folder(out));
  const SweepLock lock(out, SweepLock::Mode::exclusive);  // it rewrites experiment.toml
  write_experiment_copy(experiment, out / "experiment.toml");
  write_file_atomic(
      out / "sweep.sbatch",
      slurm_array_script(experiment, runs, options, out / "experiment.toml", SlurmSubmitter::user));
  fmt::print("wrote {} ({} array tasks); submit it with sbatch, then run `actlab collect {}`\n",
             (out / "sweep.sbatch").string(), runs.size(), out.string());
  return 0;
}

int submit_sweep_to_slurm(const Experiment& experiment, const SweepOptions& options,
                          const std::vector<std::string>& sbatch_options) {
  for (const auto& option : sbatch_options) {
    if (option.rfind("--array", 0) == 0 || option.rfind("-a", 0) == 0) {
      throw Error(fmt::format(
          "sbatch option '{}': actlab sets --array itself (one task per unfinished run): remove "
          "it",
          option));
    }
  }
  const fs::path out = fs::absolute(sweep_dir(experiment, options));
  const std::vector<RunSpec> runs = sweep_runs(experiment, options, out, true);
  nlohmann::json submissions = read_submissions(out);
  const auto queued = queued_runs(submissions);
  std::vector<RunSpec> todo;
  size_t finished = 0;
  for (const auto& run : runs) {
    if (run_is_final(out / "runs" / run.id)) {
      ++finished;
    } else if (!queued.count(run.id)) {
      todo.push_back(run);
    }
  }
  fmt::print("{}: {} runs, {} finished, {} queued, {} to submit{}\n", experiment.name, runs.size(),
             finished, runs.size() - finished - todo.size(), todo.size(),
             options.profile.empty() ? "" : fmt::format(" ({} profile)", options.profile));
  if (todo.empty()) {
    fmt::print("nothing to submit; state: actlab run {} --status\n", experiment.file.string());
    return 0;
  }

  const fs::path slurm = slurm_folder(out);
  fs::create_directories(out / "runs");
  fs::create_directories(slurm);
  const size_t number = submissions.size() + 1;
  const fs::path copy = slurm / fmt::format("submit-{}.toml", number);
  const fs::path script = slurm / fmt::format("submit-{}.sbatch", number);
  write_experiment_copy(experiment, copy);
  write_experiment_copy(experiment, out / "experiment.toml");
  write_file_atomic(script, slurm_array_script(experiment, todo, options, copy));
  std::vector<std::string> arguments = sbatch_options;
  arguments.push_back(script.string());
  const std::string array_job = sbatch(arguments, "the job array " + script.string());

  nlohmann::json record = {{"number", number},
                           {"array_job", array_job},
                           {"collect_job", nullptr},
                           {"submitted", now_utc()},
                           {"script", script.string()},
                           {"sbatch_options", sbatch_options},
                           {"runs", nlohmann::json::array()}};
  for (const auto& run : todo) record["runs"].push_back(run.id);
  // Recorded before the collect job, so that --status knows the array even if that one fails.
  submissions.push_back(record);
  write_file_atomic(submissions_file(out), nlohmann::json({{"submissions", submissions}}).dump(2));

  const fs::path collect = slurm / "collect.sbatch";
  write_file_atomic(collect, collect_script(experiment, options, out));
  arguments = collect_job_options(sbatch_options);
  arguments.push_back("--dependency=afterany:" + array_job);
  arguments.push_back(collect.string());
  std::string collect_job;
  try {
    collect_job = sbatch(arguments, "the collect job " + collect.string());
    submissions.back()["collect_job"] = collect_job;
    write_file_atomic(submissions_file(out),
                      nlohmann::json({{"submissions", submissions}}).dump(2));
  } catch (const Error& error) {
    fmt::print("collect job not submitted ({}); when the array has ended run: actlab collect {}\n",
               error.what(), out.string());
  }
  fmt::print("submitted job array {} ({} task{}, {}){}\n", array_job, todo.size(),
             todo.size() == 1 ? "" : "s", script.string(),
             collect_job.empty() ? "" : fmt::format(" and collect job {} after it", collect_job));
  fmt::print("state: actlab run {} --status; results: {}/results.csv once the array has ended\n",
             experiment.file.string(), out.string());
  return 0;
}

}  // namespace actlab
