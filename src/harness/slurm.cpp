#include "src/harness/slurm.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/results.h"
#include "src/harness/tuning.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Runs `argv` (no shell) and captures its stdout and stderr apart.
ProcessOutput run_command(const std::vector<std::string>& argv) {
  return run_process(argv, Streams::separate);
}

// `text` as one word for bash: 'single-quoted', quotes inside escaped.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

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

// Runs `sbatch --parsable ARGS...` and returns the job id it prints ("123" or "123;cluster").
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

struct QueuedTask {
  std::string task;   // "123_4"
  std::string state;  // "pending", "running", or squeue's state in lower case
};

std::string queue_state(std::string state) {
  std::transform(state.begin(), state.end(), state.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (state == "completing" || state == "configuring") return "running";
  return state;
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
  const TuneChoice choice = read_tune_choice(out);
  if (experiment.tune && choice.empty() && require_tuning) {
    throw Error(fmt::format(
        "{} has a [tune] stage that has not run yet ({} is missing): run `actlab run {}` "
        "(it tunes first) before submitting the grid with --slurm",
        experiment.file.string(), (out / "tune" / "choice.json").string(),
        experiment.file.string()));
  }
  return expand(experiment, options.profile, choice.empty() ? nullptr : &choice);
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::string collect_script(const Experiment& experiment, const SweepOptions& options,
                           const fs::path& out) {
  const std::string actlab = shell_quote(fs::absolute(options.actlab_binary).string());
  return fmt::format(
      "#!/bin/bash\n"
      "# actlab experiment '{name}': rebuilds results.csv and results.db once the array has\n"
      "# ended (submitted with --dependency=afterany), so that no two tasks write them at once.\n"
      "#SBATCH --job-name=actlab-collect-{name}\n"
      "#SBATCH --output={slurm}/collect-%j.log\n"
      "#SBATCH --ntasks=1\n"
      "set -euo pipefail\n"
      "{actlab} collect {out}\n"
      "{verdict}",
      fmt::arg("name", experiment.name), fmt::arg("slurm", slurm_folder(out).string()),
      fmt::arg("actlab", actlab), fmt::arg("out", shell_quote(out.string())),
      fmt::arg("verdict", experiment.verdicts.empty()
                              ? std::string()
                              : fmt::format("{} verdict {}\n", actlab, shell_quote(out.string()))));
}

}  // namespace

std::vector<std::string> split_shell_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw Error(fmt::format("unclosed {} in --sbatch-args \"{}\": close it", quote, text));
  if (in_word) words.push_back(word);
  return words;
}

int allocated_cpus() {
  if (const char* text = std::getenv("SLURM_CPUS_PER_TASK")) {
    const int cpus = std::atoi(text);
    if (cpus > 0) return cpus;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::vector<std::string> collect_job_options(const std::vector<std::string>& sbatch_options) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < sbatch_options.size(); ++i) {
    const std::string& option = sbatch_options[i];
    const bool gpu = option.rfind("--gres", 0) == 0 || option.rfind("--gpu", 0) == 0 ||
                     option.rfind("-G", 0) == 0;
    if (!gpu) {
      kept.push_back(option);
      continue;
    }
    // "--gres gpu:1", "-G 1" and "--gpus 2" carry their value in the next word.
    const bool separate_value =
        option == "--gres" || option == "-G" ||
        (option.rfind("--gpu", 0) == 0 && option.find('=') == std::string::npos);
    if (separate_value) ++i;
  }
  return kept;
}

std::string slurm_array_script(const Experiment& experiment, const std::vector<RunSpec>& runs,
                               const SweepOptions& options, const fs::path& experiment_copy,
                               SlurmSubmitter submitter) {
  const fs::path out = fs::absolute(sweep_dir(experiment, options));
  std::string ids;
  for (const auto& run : runs) ids += "  " + shell_quote(run.id) + "\n";
  const std::string device =
      options.device == "auto"
          ? "DEVICE=cpu\n"
            "if [ -n \"${CUDA_VISIBLE_DEVICES:-}\" ] && [ \"$CUDA_VISIBLE_DEVICES\" != NoDevFiles "
            "]; then\n"
            "  DEVICE=cuda\n"
            "fi\n"
          : "DEVICE=" + shell_quote(options.device) + "\n";
  const std::string actlab = shell_quote(fs::absolute(options.actlab_binary).string());
  const std::string how =
      submitter == SlurmSubmitter::actlab
          ? "# written and submitted by `actlab run --slurm`. Task i runs the i-th run below, "
            "alone,\n"
            "# with the CPUs Slurm gives it (SLURM_CPUS_PER_TASK); the results tables are rebuilt\n"
            "# once, by the collect job that waits for this array.\n"
          : fmt::format(
                "# written by `actlab run --emit slurm`. Task i runs the i-th run below, alone, "
                "with\n"
                "# the CPUs Slurm gives it (SLURM_CPUS_PER_TASK).\n"
                "# Submit: sbatch {}\n"
                "# When the array has finished: {} collect {}\n",
                shell_quote((out / "sweep.sbatch").string()), actlab, shell_quote(out.string()));
  return fmt::format(
      "#!/bin/bash\n"
      "# actlab experiment '{name}'{profile_note}: {count} runs as one Slurm job array,\n"
      "{how}"
      "#SBATCH --job-name=actlab-{name}\n"
      "#SBATCH --array=0-{last}\n"
      "#SBATCH --output={slurm}/%A_%a.log\n"
      "set -euo pipefail\n"
      "RUN_IDS=(\n{ids})\n"
      "# The GPU Slurm allocated trains the run; a task given none trains on its CPUs.\n"
      "{device}"
      "exec {actlab} run {file} --out {out}{profile} --device \"$DEVICE\" --only "
      "\"${{RUN_IDS[$SLURM_ARRAY_TASK_ID]}}\"\n",
      fmt::arg("name", experiment.name),
      fmt::arg("profile_note",
               options.profile.empty() ? "" : fmt::format(" ({} profile)", options.profile)),
      fmt::arg("count", runs.size()), fmt::arg("last", runs.empty() ? 0 : runs.size() - 1),
      fmt::arg("slurm", slurm_folder(out).string()), fmt::arg("ids", ids),
      fmt::arg("device", device), fmt::arg("how", how), fmt::arg("actlab", actlab),
      fmt::arg("file", shell_quote(fs::absolute(experiment_copy).string())),
      fmt::arg("out", shell_quote(out.string())),
      fmt::arg("profile", options.profile.empty() ? "" : " --profile " + options.profile));
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
  write_file_atomic(copy, read_file(experiment.file));
  write_file_atomic(out / "experiment.toml", read_file(experiment.file));
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

int print_sweep_status(const Experiment& experiment, const SweepOptions& options) {
  const fs::path out = sweep_dir(experiment, options);
  const std::vector<RunSpec> runs = sweep_runs(experiment, options, out, false);
  const nlohmann::json submissions = read_submissions(fs::absolute(out));
  const auto tasks = submitted_tasks(submissions);
  std::map<std::string, QueuedTask> queued;
  std::string queue_note;
  try {
    queued = queued_runs(submissions);
  } catch (const Error& error) {
    queue_note = error.what();
  }
  std::map<std::string, size_t> counts;
  std::string table = fmt::format("{:<10}  {:<12}  {}\n", "state", "slurm task", "run");
  for (const auto& run : runs) {
    const fs::path dir = out / "runs" / run.id;
    const auto status = read_run_status(dir);
    const auto task = tasks.find(run.id);
    const auto in_queue = queued.find(run.id);
    std::string state, where;
    if (status == RunStatus::completed) {
      state = "finished";
    } else if (status == RunStatus::diverged) {
      state = "diverged";
    } else if (in_queue != queued.end()) {
      state = in_queue->second.state;
    } else if (task != tasks.end()) {
      state = queue_note.empty() ? "failed" : "unknown";  // left the queue without a result
      if (queue_note.empty()) {
        where = fmt::format("  (see {}/slurm/{}.log and {})", out.string(), task->second,
                            (dir / "log.txt").string());
      }
    } else if (fs::exists(dir / "config.json") || fs::exists(dir / "log.txt")) {
      state = "unfinished";  // started by a local `actlab run`, not (yet) final
    } else {
      state = "todo";
    }
    ++counts[state];
    table += fmt::format("{:<10}  {:<12}  {}{}\n", state, task == tasks.end() ? "-" : task->second,
                         run.id, where);
  }
  fmt::print("{}{}: {} runs in {}\n{}", experiment.name,
             options.profile.empty() ? "" : fmt::format(" ({} profile)", options.profile),
             runs.size(), out.string(), table);
  std::string summary;
  for (const char* state :
       {"finished", "diverged", "running", "pending", "failed", "unfinished", "unknown", "todo"}) {
    if (counts.count(state)) {
      summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", counts[state], state);
      counts.erase(state);
    }
  }
  for (const auto& [state, count] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", count, state);
  fmt::print("{}\n", summary);
  if (!queue_note.empty()) fmt::print("queue unknown: {}\n", queue_note);
  return 0;
}

}  // namespace actlab
