#include "src/harness/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/results.h"
#include "src/train/progress.h"
#include "src/train/trainer.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

std::string run_status(const fs::path& dir) {
  return read_json_or_empty(dir / "summary.json").value("status", "");
}

bool is_final(const std::string& status) {
  return status == "completed" || status == "diverged";
}

std::string describe(const RunSpec& run) {
  std::string text;
  for (const auto& [key, value] : run.axes) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text.empty() ? run.id : text;
}

// Starts `actlab train` for `run` with its output in dir/log.txt; the child dies with the sweep
// (PR_SET_PDEATHSIG), so a killed sweep leaves no orphan writing into a run folder.
pid_t launch(const SweepOptions& options, const RunSpec& run, const fs::path& dir, int threads) {
  // Sweeps write TensorBoard files; an experiment's `tensorboard = false` comes later and wins.
  std::vector<std::string> arguments = {options.actlab_binary.string(), "train", "--tensorboard"};
  for (auto& argument : train_arguments(run)) arguments.push_back(std::move(argument));
  arguments.push_back("--out=" + dir.string());
  arguments.push_back("--overwrite");
  arguments.push_back("--device=" + options.device);
  arguments.push_back(fmt::format("--threads={}", threads));
  const std::string log = (dir / "log.txt").string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start a run: fork failed (too many processes?)");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

fs::path sweep_dir(const Experiment& experiment, const SweepOptions& options) {
  if (!options.out.empty()) return options.out;
  return fs::path("runs") / (experiment.name + (options.quick ? "-quick" : ""));
}

std::string slurm_script(const Experiment& experiment, const std::vector<RunSpec>& runs,
                         const SweepOptions& options) {
  const fs::path out = fs::absolute(sweep_dir(experiment, options));
  std::string ids;
  for (const auto& run : runs) ids += "  " + run.id + "\n";
  return fmt::format(
      "#!/bin/bash\n"
      "# actlab experiment '{name}': {count} runs as one Slurm job array.\n"
      "# Submit: sbatch {script}\n"
      "# When the array has finished: {actlab} collect {out}\n"
      "#SBATCH --job-name=actlab-{name}\n"
      "#SBATCH --array=0-{last}\n"
      "#SBATCH --output={out}/slurm/%A_%a.log\n"
      "set -euo pipefail\n"
      "RUN_IDS=(\n{ids})\n"
      "exec {actlab} run {file}{quick} --out {out} --device {device} --only "
      "\"${{RUN_IDS[$SLURM_ARRAY_TASK_ID]}}\"\n",
      fmt::arg("name", experiment.name), fmt::arg("count", runs.size()),
      fmt::arg("script", (out / "sweep.sbatch").string()),
      fmt::arg("actlab", fs::absolute(options.actlab_binary).string()),
      fmt::arg("out", out.string()), fmt::arg("last", runs.empty() ? 0 : runs.size() - 1),
      fmt::arg("ids", ids), fmt::arg("file", fs::absolute(experiment.file).string()),
      fmt::arg("quick", options.quick ? " --quick" : ""), fmt::arg("device", options.device));
}

int run_sweep(const Experiment& experiment, SweepOptions options) {
  std::vector<RunSpec> runs = expand(experiment, options.quick);
  const fs::path out = sweep_dir(experiment, options);
  fs::create_directories(out / "runs");

  if (options.emit == "slurm") {
    fs::create_directories(out / "slurm");
    write_file_atomic(out / "sweep.sbatch", slurm_script(experiment, runs, options));
    fmt::print("wrote {} ({} array tasks); submit it with sbatch, then run `actlab collect {}`\n",
               (out / "sweep.sbatch").string(), runs.size(), out.string());
    return 0;
  }
  if (!options.emit.empty())
    throw Error(fmt::format("unknown --emit '{}': valid is slurm", options.emit));
  if (!options.only.empty()) {
    auto it = std::find_if(runs.begin(), runs.end(),
                           [&](const RunSpec& r) { return r.id == options.only; });
    if (it == runs.end()) {
      throw Error(fmt::format("no run '{}' in {}: list the run ids with --dry-run", options.only,
                              experiment.file.string()));
    }
    runs = {*it};
  }

  std::vector<const RunSpec*> pending;
  for (const auto& run : runs) {
    const std::string status = run_status(out / "runs" / run.id);
    if (options.dry_run) {
      fmt::print("{:<11} {}\n", status.empty() ? "todo" : (is_final(status) ? status : "restart"),
                 run.id);
    }
    if (!is_final(status)) pending.push_back(&run);
  }
  fmt::print("{}: {} runs, {} done, {} to run{}{}\n", experiment.name, runs.size(),
             runs.size() - pending.size(), pending.size(), options.quick ? " (quick profile)" : "",
             options.dry_run ? " (dry run)" : "");
  if (options.dry_run) return 0;
  write_file_atomic(out / "experiment.toml", read_file(experiment.file));

  const bool on_cpu =
      options.device == "cpu" || (options.device == "auto" && !torch::cuda::is_available());
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = on_cpu ? std::max(1, cores / std::max(1, options.jobs)) : 1;
  install_interrupt_handler();

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::map<pid_t, std::pair<const RunSpec*, Clock::time_point>> running;
  size_t next = 0, finished = 0, failed = 0;
  double run_seconds = 0;
  while ((next < pending.size() || !running.empty())) {
    while (!stop_requested() && next < pending.size() &&
           static_cast<int>(running.size()) < options.jobs) {
      const RunSpec& run = *pending[next++];
      const fs::path dir = out / "runs" / run.id;
      fs::create_directories(dir);
      nlohmann::json axes = nlohmann::json::object();
      for (const auto& [key, value] : run.axes) axes[key] = value;
      write_file_atomic(dir / "run.json", nlohmann::json({{"run_id", run.id},
                                                          {"experiment", experiment.name},
                                                          {"quick", options.quick},
                                                          {"axes", axes},
                                                          {"arguments", train_arguments(run)}})
                                                  .dump(2) +
                                              "\n");
      running[launch(options, run, dir, threads)] = {&run, Clock::now()};
    }
    int wait_status = 0;
    const pid_t pid = ::waitpid(-1, &wait_status, 0);
    if (pid < 0) {
      if (errno == EINTR) {
        for (const auto& [child, _] : running) ::kill(child, SIGINT);
        continue;
      }
      break;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto [run, started] = it->second;
    running.erase(it);
    ++finished;
    run_seconds += std::chrono::duration<double>(Clock::now() - started).count();
    const fs::path dir = out / "runs" / run->id;
    const auto summary = read_json_or_empty(dir / "summary.json");
    std::string outcome;
    if (summary.contains("status")) {
      outcome = fmt::format("{}, test_err {:.3f}", summary.value("status", "?"),
                            summary.value("final_test_error", 1.0));
      if (!is_final(summary.value("status", ""))) ++failed;
    } else {
      const int code =
          WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
      outcome = fmt::format("failed (exit {}), see {}", code, (dir / "log.txt").string());
      ++failed;
    }
    const size_t left = pending.size() - next;
    const double eta =
        finished ? run_seconds / finished * (left + running.size()) / std::max(1, options.jobs) : 0;
    fmt::print("[{}/{} done, {} running, {} left, ETA {}] {}: {}\n", finished, pending.size(),
               running.size(), left, format_duration(eta), describe(*run), outcome);
    std::fflush(stdout);
    write_results(out, load_results(out));
  }
  write_results(out, load_results(out));
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{}: {} runs in {}; results in {}/results.csv and results.db (`actlab compare {}`)\n",
             experiment.name, finished, format_duration(total), out.string(), out.string());
  if (stop_requested()) return 130;
  return failed > 0 ? 1 : 0;
}

}  // namespace actlab
