#include "src/harness/slurm.h"

// `actlab run FILE --status`: the sweep's state table, from its records and Slurm's queue.

#include <fmt/format.h>

#include <map>

#include "src/core/error.h"
#include "src/harness/slurm_client.h"
#include "src/records/run_folder.h"

namespace actlab {

namespace fs = std::filesystem;
using namespace slurm;

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
                            (dir / record_file::kLog).string());
      }
    } else if (run_started(dir)) {
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
