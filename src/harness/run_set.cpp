#include "src/harness/run_set.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "src/core/error.h"
#include "src/harness/experiment.h"
#include "src/harness/tuning.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

std::string reason_for_status(const RunResult& run) {
  const auto status = run.status();
  if (status == RunStatus::running) return "killed or still running";
  if (status == RunStatus::interrupted) return "interrupted";
  const auto word = run.summary.find("status");
  if (word == run.summary.end() || !word->is_string() || word->get<std::string>().empty())
    return "no summary (failed to start)";
  return "status " + word->get<std::string>();  // a word no actlab writes
}

}  // namespace

std::string run_profile(const RunResult& run) {
  if (run.run.contains("profile") && run.run["profile"].is_string())
    return run.run["profile"].get<std::string>();
  return run.run.value("quick", false) ? "quick" : "";
}

RunSet classify_runs(const fs::path& sweep_dir, std::vector<RunResult> results) {
  RunSet set;
  const fs::path file = sweep_dir / "experiment.toml";
  std::map<std::string, std::set<std::string>> current;  // profile -> run ids
  std::map<std::string, std::string> unknown;            // profile -> why it has no grid
  bool know_grid = false;
  if (fs::exists(file)) {
    try {
      const Experiment experiment = load_experiment(file);
      const TuneChoice choice = read_tune_choice(sweep_dir);
      know_grid = true;
      set.grid_note = fmt::format("current grid: {}", file.string());
      std::set<std::string> profiles;
      for (const auto& run : results) profiles.insert(run_profile(run));
      for (const auto& profile : profiles) {
        try {
          for (const auto& spec : expand(experiment, profile, &choice))
            current[profile].insert(spec.id);
        } catch (const Error& error) {
          unknown[profile] = error.what();  // e.g. a profile the file no longer declares
        }
      }
    } catch (const Error& error) {
      set.grid_note =
          fmt::format("no run marked stale: {} does not load ({})", file.string(), error.what());
    }
  } else {
    set.grid_note = fmt::format("no run marked stale: {} is missing", file.string());
  }
  for (auto& run : results) {
    const auto status = run.status();
    const bool stale =
        know_grid && run.run.contains("run_id") && !current[run_profile(run)].count(run.id);
    if (!run.damage.empty()) {
      const std::string reason = "damaged: " + join(run.damage, "; ");
      set.apart.push_back({std::move(run), reason});
    } else if (stale) {
      set.apart.push_back({std::move(run), "stale (older grid)"});
    } else if (status == RunStatus::completed) {
      set.finished.push_back(std::move(run));
    } else if (status == RunStatus::diverged) {
      set.diverged.push_back(std::move(run));
    } else {
      std::string reason = reason_for_status(run);
      set.apart.push_back({std::move(run), std::move(reason)});
    }
  }
  return set;
}

std::string apart_listing(const RunSet& runs) {
  std::string text;
  for (const auto& run : runs.diverged) {
    text += fmt::format("  diverged (listed apart, not averaged): {} ({})\n", run.id,
                        run.summary.value("message", ""));
  }
  for (const auto& [run, reason] : runs.apart)
    text += fmt::format("  {} (not averaged): {}\n", reason, run.id);
  return text;
}

}  // namespace actlab
