#include "src/harness/slurm_client.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/tuned_rates.h"
#include "src/harness/tuning.h"
#include "src/records/run_folder.h"

namespace actlab::slurm {

namespace fs = std::filesystem;

namespace {

// Runs `argv` (no shell) and captures its stdout and stderr apart.
ProcessOutput run_command(const std::vector<std::string>& argv) {
  return run_process(argv, Streams::separate);
}

std::string queue_state(std::string state) {
  std::transform(state.begin(), state.end(), state.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (state == "completing" || state == "configuring") return "running";
  return state;
}

}  // namespace

fs::path slurm_folder(const fs::path& out) {
  return out / "slurm";
}

fs::path submissions_file(const fs::path& out) {
  return slurm_folder(out) / "submissions.json";
}

nlohmann::json read_submissions(const fs::path& out) {
  const auto record = read_json_or_empty(submissions_file(out));
  if (record.contains("submissions") && record["submissions"].is_array())
    return record["submissions"];
  return nlohmann::json::array();
}

std::string sbatch(const std::vector<std::string>& arguments, const std::string& what) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const ProcessOutput result = run_command(argv);
  if (result.exit_code == 127) {
    throw Error(
        "sbatch not found on PATH: submit from a Slurm login node, or use --emit slurm to write "
        "the script");
  }
  const std::string id = first_line(result.out).substr(0, first_line(result.out).find(';'));
  if (result.exit_code != 0 || id.empty() ||
      id.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(
        fmt::format("sbatch refused {}: {}: check the sbatch options (and that `sinfo` answers)",
                    what, first_line(result.err + result.out)));
  }
  return id;
}

// Run id -> its task in the queue, for the runs of `submissions` that squeue still lists.
// Throws Error when squeue cannot be asked.
std::map<std::string, QueuedTask> queued_runs(const nlohmann::json& submissions) {
  std::map<std::string, QueuedTask> queued;
  if (submissions.empty()) return queued;
  const passwd* user = ::getpwuid(::getuid());
  const ProcessOutput result =
      run_command({"squeue", "--noheader", "--array", "--format=%i|%T",
                   std::string("--user=") + (user ? user->pw_name : std::to_string(::getuid()))});
  if (result.exit_code != 0) {
    throw Error(fmt::format(
        "cannot tell which runs are still queued: squeue {}: run this where Slurm answers",
        result.exit_code == 127 ? std::string("is not on PATH") : first_line(result.err)));
  }
  std::map<std::string, const nlohmann::json*> by_job;
  for (const auto& submission : submissions)
    by_job[submission.value("array_job", "")] = &submission;
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto bar = line.find('|');
    const auto underscore = line.find('_');
    if (bar == std::string::npos || underscore == std::string::npos || underscore > bar) continue;
    const auto it = by_job.find(line.substr(0, underscore));
    if (it == by_job.end()) continue;
    const std::string index = line.substr(underscore + 1, bar - underscore - 1);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto runs = it->second->value("runs", nlohmann::json::array());
    const size_t i = std::stoul(index);
    if (i < runs.size())
      queued[runs[i].get<std::string>()] = {line.substr(0, bar), queue_state(line.substr(bar + 1))};
  }
  return queued;
}

// Run id -> "123_4", the task of its latest submission.
std::map<std::string, std::string> submitted_tasks(const nlohmann::json& submissions) {
  std::map<std::string, std::string> tasks;
  for (const auto& submission : submissions) {
    const auto runs = submission.value("runs", nlohmann::json::array());
    for (size_t i = 0; i < runs.size(); ++i) {
      tasks[runs[i].get<std::string>()] =
          fmt::format("{}_{}", submission.value("array_job", "?"), i);
    }
  }
  return tasks;
}

std::vector<RunSpec> sweep_runs(const Experiment& experiment, const SweepOptions& options,
                                const fs::path& out, bool require_tuning) {
  refuse_grid_of_table(experiment, "a Slurm array");
  const TuneChoice choice = experiment.tune && experiment.tune->table
                                ? choose_from_table(experiment, options.profile, out, false)
                                : read_tune_choice(out);
  if (require_tuning) {
    require_tune_choice(experiment, options.profile, choice, out,
                        fmt::format("run `actlab run {}` (it tunes first) before writing or "
                                    "submitting the grid's Slurm array",
                                    experiment.file.string()));
  }
  return expand(experiment, options.profile, choice.empty() ? nullptr : &choice);
}

}  // namespace actlab::slurm
