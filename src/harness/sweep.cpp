#include "src/harness/sweep.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "src/core/build_info.h"
#include "src/core/cpus.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/results.h"
#include "src/harness/run_cost.h"
#include "src/harness/run_metric.h"
#include "src/harness/run_set.h"
#include "src/harness/stop_signals.h"
#include "src/harness/sweep_lock.h"
#include "src/harness/tuned_rates.h"
#include "src/harness/tuning.h"
#include "src/harness/verdict.h"
#include "src/harness/verdicts_file.h"
#include "src/train/checkpoint.h"
#include "src/train/progress.h"
#include "src/train/trainer.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Whether the unfinished run in `dir` continues from its checkpoint: only one this build wrote
// (a checkpoint of other code would not continue bit-identically; that run starts over).
bool resumable(const fs::path& dir) {
  try {
    const auto checkpoint = read_checkpoint_info(dir);
    return checkpoint && checkpoint->git_commit == git_commit() &&
           checkpoint->actlab_version == actlab_version();
  } catch (const Error&) {
    return false;  // a damaged checkpoint.json: start over
  }
}

std::string describe(const RunSpec& run) {
  std::string text;
  for (const auto& [key, value] : run.axes) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text.empty() ? run.id : text;
}

// Rebuilds DIR's results tables; a failure (a full disk, results.db not writable) is reported in
// one line and never stops the runs in flight: their folders are the data, and `actlab collect`
// rebuilds the tables later. Each distinct problem is printed once.
void report_results_problem(const fs::path& out, const std::string& message,
                            std::set<std::string>& reported) {
  if (!reported.insert(message).second) return;
  fmt::print(stderr,
             "actlab: results tables not written ({}); the runs go on and keep their records: "
             "rebuild the tables with `actlab collect {}`\n",
             message, out.string());
}

// The results tables, rewritten after each finished run. A full or failing disk stops the sweep
// from starting runs, as a run's failure would (`write_failure`); any other problem (a table
// that cannot be replaced) is printed once and the runs go on.
void write_results_or_report(const fs::path& out, std::set<std::string>& reported,
                             std::string& write_failure) {
  try {
    write_results(out, load_results(out));
  } catch (const WriteError& error) {
    if (error.disk_cannot_write() && write_failure.empty()) {
      write_failure = error.what();
    } else {
      report_results_problem(out, error.what(), reported);
    }
  } catch (const std::exception& error) {
    report_results_problem(out, error.what(), reported);
  }
}

// Whether a final run was made by another commit than this binary's (never when either is unknown).
bool made_by_other_code(const fs::path& dir) {
  const std::string mine = git_commit();
  const std::string theirs = read_run_commit(dir);
  return mine != "unknown" && !theirs.empty() && theirs != mine;
}

// Starts `actlab train` for `run` with its output in dir/log.txt; the child dies with the sweep.
pid_t launch(const SweepOptions& options, const RunSpec& run, const fs::path& dir, int threads) {
  // Sweeps write TensorBoard files; an experiment's `tensorboard = false` comes later and wins.
  std::vector<std::string> arguments = {options.actlab_binary.string(), "train", "--tensorboard"};
  for (auto& argument : train_arguments(run)) arguments.push_back(std::move(argument));
  arguments.push_back("--out=" + dir.string());
  const bool resume = resumable(dir);
  arguments.push_back(resume ? "--resume" : "--overwrite");
  arguments.push_back("--device=" + options.device);
  arguments.push_back(fmt::format("--threads={}", threads));
  // A resumed run's log goes on after the earlier part's, which says why it stopped.
  return start_process(arguments, {dir / record_file::kLog, resume, /*die_with_parent=*/true});
}

}  // namespace

fs::path sweep_dir(const Experiment& experiment, const SweepOptions& options) {
  if (!options.out.empty()) return options.out;
  return fs::path("runs") /
         (experiment.name + (options.profile.empty() ? "" : "-" + options.profile));
}

namespace {

struct StageOutcome {
  size_t finished = 0, failed = 0;
  std::string write_failure;  // why the stage stopped early: a file could not be written
  double estimated_wall = 0;  // --dry-run: the estimated wall seconds of its runs to do
};

// Runs the not-yet-final `runs` into DIR/runs/<id>, `jobs` at a time, and rebuilds DIR's
// results tables as they finish. With dry_run, lists them instead.
StageOutcome run_stage(const Experiment& experiment, const SweepOptions& options,
                       const fs::path& out, const std::vector<RunSpec>& runs,
                       const std::string& stage) {
  std::vector<const RunSpec*> pending;
  std::map<std::string, size_t> other_code;  // commit -> finished runs it made
  for (const auto& run : runs) {
    const fs::path dir = out / "runs" / run.id;
    const auto status = read_run_status(dir);
    const bool stale_code = is_final(status) && made_by_other_code(dir);
    if (options.dry_run) {
      const std::string label =
          !status
              ? "todo"
              : (is_final(status) ? to_string(*status) : (resumable(dir) ? "resume" : "restart"));
      fmt::print("{:<11} {}{}\n", label, run.id,
                 stale_code
                     ? fmt::format(" (made by commit {})", short_commit(read_run_commit(dir)))
                     : "");
    }
    if (stale_code && !options.rerun_stale_code) ++other_code[read_run_commit(dir)];
    if (!is_final(status) || (stale_code && options.rerun_stale_code)) pending.push_back(&run);
  }
  for (const auto& [commit, count] : other_code) {
    fmt::print(
        "{} finished run{} made by commit {} (this build: {}): kept; pass "
        "--rerun-stale-code to redo {}\n",
        count, count == 1 ? " was" : "s were", short_commit(commit), short_commit(git_commit()),
        count == 1 ? "it" : "them");
  }
  fmt::print("{}{}: {} runs, {} done, {} to run{}{}\n", experiment.name, stage, runs.size(),
             runs.size() - pending.size(), pending.size(),
             options.profile.empty() ? "" : fmt::format(" ({} profile)", options.profile),
             options.dry_run ? " (dry run)" : "");
  StageOutcome outcome;
  const bool on_cpu =
      options.device == "cpu" || (options.device == "auto" && !torch::cuda::is_available());
  const int cores = allocated_cpus();  // Slurm's SLURM_CPUS_PER_TASK, else the affinity mask
  const int threads = on_cpu ? std::max(1, cores / std::max(1, options.jobs)) : 1;
  if (options.dry_run)
    outcome.estimated_wall = print_stage_estimate(pending, threads, options.jobs);
  if (options.dry_run) return outcome;
  fs::create_directories(out / "runs");
  // A single run (--only: a Slurm array task) leaves the sweep's shared files to its submitter
  // and to `actlab collect`, so that sibling tasks never rewrite them at once.
  const bool shared_writes = options.only.empty();
  if (shared_writes || !fs::exists(out / "experiment.toml"))
    write_experiment_copy(experiment, out / "experiment.toml");

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::map<pid_t, std::pair<const RunSpec*, Clock::time_point>> running;
  size_t next = 0;
  double run_seconds = 0;
  std::set<std::string> reported;  // results-writing problems already printed
  int forwarded = 0;               // stop signals passed on to the runs so far
  Clock::time_point stop_time;
  std::string write_failure;  // set, no further run starts: the disk is full or unwritable
  while ((next < pending.size() || !running.empty())) {
    while (!stopping() && write_failure.empty() && next < pending.size() &&
           static_cast<int>(running.size()) < options.jobs) {
      const RunSpec& run = *pending[next++];
      const fs::path dir = out / "runs" / run.id;
      try {
        fs::create_directories(dir);
        nlohmann::json axes = nlohmann::json::object();
        for (const auto& [key, value] : run.axes) axes[key] = value;
        write_file_atomic(dir / record_file::kRun,
                          nlohmann::json({{"run_id", run.id},
                                          {"experiment", experiment.name},
                                          {"profile", options.profile},
                                          {"quick", options.profile == "quick"},
                                          {"axes", axes},
                                          {"arguments", train_arguments(run)}})
                                  .dump(2) +
                              "\n");
        running[launch(options, run, dir, threads)] = {&run, Clock::now()};
      } catch (const WriteError& error) {  // a full disk: every later run would fail the same way
        ++outcome.finished;
        ++outcome.failed;
        write_failure = error.what();
        fmt::print("{}: not started: {}\n", describe(run), error.what());
      } catch (const std::exception& error) {  // this run cannot start; the others go on
        ++outcome.finished;
        ++outcome.failed;
        fmt::print("{}: not started: {}\n", describe(run), error.what());
      }
    }
    if (running.empty()) {
      if (stopping() || !write_failure.empty()) break;
      continue;
    }
    // A stop signal goes on to every run (which records itself as interrupted); runs still
    // alive kStopGrace later, or at a second signal, are killed.
    if (stopping() && forwarded == 0) {
      stop_time = Clock::now();
      forwarded = 1;
      fmt::print(stderr, "actlab: stopping {} running run{} (signal {})\n", running.size(),
                 running.size() == 1 ? "" : "s", stop_signal());
      for (const auto& [child, _] : running) ::kill(child, SIGTERM);
    }
    if (forwarded == 1 && (stop_signals_received() > 1 || Clock::now() - stop_time > kStopGrace)) {
      forwarded = 2;
      for (const auto& [child, _] : running) ::kill(child, SIGKILL);
    }
    int wait_status = 0;
    const pid_t pid = ::waitpid(-1, &wait_status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      std::this_thread::sleep_for(kPollInterval);  // a signal cuts the sleep short
      continue;
    }
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto [run, started] = it->second;
    running.erase(it);
    ++outcome.finished;
    run_seconds += std::chrono::duration<double>(Clock::now() - started).count();
    const fs::path dir = out / "runs" / run->id;
    const auto summary = read_run_summary(dir);
    const int code = wait_status_code(wait_status);
    std::string result;
    if (code == kWriteFailedExitCode) {  // its records say "running" or "interrupted"; it resumes
      result = fmt::format("interrupted: a record could not be written, see {}",
                           (dir / record_file::kLog).string());
      if (write_failure.empty()) write_failure = result;
      ++outcome.failed;
    } else if (summary.contains("status")) {
      result = fmt::format("{}, test_err {:.3f}", summary.value("status", "?"),
                           summary.value("final_test_error", 1.0));
      if (!is_final(parse_run_status(summary.value("status", "")))) ++outcome.failed;
    } else {
      result = fmt::format("failed (exit {}), see {}", code, (dir / record_file::kLog).string());
      ++outcome.failed;
    }
    const size_t left = pending.size() - next;
    const double eta = outcome.finished ? run_seconds / outcome.finished * (left + running.size()) /
                                              std::max(1, options.jobs)
                                        : 0;
    // "[tuning 3/64 done, ...]", "[neighbouring rates 1/16 done, ...]"; the grid's plain.
    const std::string label =
        stage.empty()
            ? ""
            : stage.substr(stage.find('(') + 1, stage.rfind(')') - stage.find('(') - 1) + " ";
    fmt::print("[{}{}/{} done, {} running, {} left, ETA {}] {}: {}\n", label, outcome.finished,
               pending.size(), running.size(), left, format_duration(eta), describe(*run), result);
    std::fflush(stdout);
    if (shared_writes) write_results_or_report(out, reported, write_failure);
  }
  if (shared_writes) write_results_or_report(out, reported, write_failure);
  if (!write_failure.empty()) {
    outcome.write_failure = write_failure;
    const size_t not_started = pending.size() - next;
    if (not_started > 0) {
      fmt::print(stderr,
                 "actlab: error: {} runs not started: a record could not be written ({}); "
                 "free space, then run the same command again (finished runs are kept, "
                 "interrupted ones resume)\n",
                 not_started, write_failure);
    } else {
      fmt::print(stderr,
                 "actlab: error: {}; free space, then run the same command again (finished runs "
                 "are kept) or `actlab collect {}`\n",
                 write_failure, out.string());
    }
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{}{}: {} runs in {}; results in {}/results.csv and results.db{}\n", experiment.name,
             stage, outcome.finished, format_duration(total), out.string(),
             shared_writes ? "" : " once `actlab collect` has run");
  return outcome;
}

}  // namespace

int run_sweep(const Experiment& experiment, SweepOptions options) {
  if (!options.only.empty()) refuse_grid_of_table(experiment, "--only");
  const fs::path out = sweep_dir(experiment, options);
  fs::create_directories(out);
  if (!options.emit.empty() && options.emit != "slurm")
    throw Error(fmt::format("unknown --emit '{}': valid is slurm", options.emit));
  // Dry runs only read; a full sweep writes everything, an array task (--only) its one run.
  std::optional<SweepLock> lock;
  if (!options.dry_run) {
    lock.emplace(out, options.only.empty() ? SweepLock::Mode::exclusive : SweepLock::Mode::shared);
  }
  install_stop_handlers();

  TuneChoice choice = read_tune_choice(out);
  double estimated_wall = 0;  // --dry-run: the stages' estimates, summed
  if (experiment.tune && experiment.tune->table) {
    // [tune] from: every configuration must be in the table before its sweep runs; then the
    // table's sweep (it tunes what it has not, resumes at once when it has, lists with
    // --dry-run), then its choices, read afresh (an array task only reads them).
    if (options.only.empty()) {
      check_table_covers(experiment, options.profile, out);
      SweepOptions table_options = options;
      table_options.out = table_sweep_dir(experiment, options.profile, out);
      const int code = run_sweep(*experiment.tune->table, table_options);
      if (stopping()) return stopped_exit_code();
      if (code != 0) return code;
    }
    try {
      choice = choose_from_table(experiment, options.profile, out,
                                 !options.dry_run && options.only.empty());
    } catch (const Error& error) {
      if (!options.dry_run) throw;
      choice.clear();  // not a stale choice.json of an earlier table
      fmt::print("({}; the runs below show the file's {})\n", error.what(),
                 experiment.tune->option);
    }
    if (options.only.empty() && !options.dry_run)
      for (const auto& line : describe_choices(experiment, "", choice, out / "tune"))
        fmt::print("{}\n", line);
  } else if (experiment.tune && options.only.empty()) {
    const auto tuning = tuning_runs(experiment, options.profile);
    const StageOutcome tuned = run_stage(experiment, options, out / "tune", tuning, " (tuning)");
    if (stopping()) return stopped_exit_code();
    if (!tuned.write_failure.empty()) return kWriteFailedExitCode;
    estimated_wall += tuned.estimated_wall;
    if (!options.dry_run) {
      choice = choose_tuned_values(experiment, out / "tune", tuning);
      for (const auto& line : describe_choices(experiment, options.profile, choice, out / "tune"))
        fmt::print("{}\n", line);
    }
    if (tuned.failed > 0 && !options.dry_run) return 1;
    if (experiment.tune->only) return 0;  // a table: its choices are what it is for
  }
  if (!options.dry_run) {
    require_tune_choice(
        experiment, options.profile, choice, out,
        fmt::format("run `actlab run {}` without --only first", experiment.file.string()));
  }
  std::vector<RunSpec> runs = expand(experiment, options.profile, &choice);

  if (!options.only.empty()) {
    auto it = std::find_if(runs.begin(), runs.end(),
                           [&](const RunSpec& r) { return r.id == options.only; });
    if (it == runs.end()) {
      throw Error(fmt::format("no run '{}' in {}: list the run ids with --dry-run", options.only,
                              experiment.file.string()));
    }
    runs = {*it};
  }
  const StageOutcome main = run_stage(experiment, options, out, runs, "");
  if (stopping()) return stopped_exit_code();
  if (!main.write_failure.empty()) return kWriteFailedExitCode;
  // After the grid: its first seeds at the candidates next to each choice ([tune] neighbours).
  const auto neighbours = options.only.empty() ? neighbour_runs(experiment, options.profile, choice)
                                               : std::vector<RunSpec>{};
  int failed = main.failed;
  estimated_wall += main.estimated_wall;
  if (!neighbours.empty()) {
    const StageOutcome next =
        run_stage(experiment, options, out / "neighbours", neighbours, " (neighbouring rates)");
    if (stopping()) return stopped_exit_code();
    if (!next.write_failure.empty()) return kWriteFailedExitCode;
    failed += next.failed;  // the verdicts are printed all the same: the grid's runs are there
    estimated_wall += next.estimated_wall;
  }
  if (options.dry_run && estimated_wall != main.estimated_wall)
    fmt::print("estimated, all stages: {} wall\n", format_estimate(estimated_wall));
  if (options.dry_run) return 0;
  fmt::print("(`actlab compare {}`)\n", out.string());
  if (!experiment.verdicts.empty() && options.only.empty()) print_verdicts(out);
  return failed > 0 ? 1 : 0;
}

}  // namespace actlab
