#pragma once

// A sweep written by hand: every run of an experiment file's grid gets the summary.json a test
// computes from the run's grid values, then the real reader and verdict engine judge it. Tests
// of the verdict engine use it instead of training.

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "tests/helpers.h"

namespace actlab::testing {

// A run's summary.json, from its grid values ("activation" -> "relu", "seed" -> "2", ...).
using HandMadeSummary =
    std::function<nlohmann::json(const std::map<std::string, std::string>& axes)>;

// A summary.json whose run reached the target train_error <= 0.25 at epoch 2 (final training
// error 0.2) or never (0.9); status "completed" unless given.
inline nlohmann::json target_summary(bool reached, const std::string& status = "completed") {
  const auto at = reached ? nlohmann::json(2) : nlohmann::json();
  return {{"status", status},
          {"final_train_error", reached ? 0.2 : 0.9},
          {"epochs_completed", 3},
          {"targets",
           {{{"metric", "train_error"},
             {"threshold", 0.25},
             {"reached", reached},
             {"epoch", at},
             {"position", at},
             {"step", nullptr},
             {"images_seen", nullptr},
             {"seconds", nullptr}}}}};
}

// Writes experiment.toml (`experiment_text`) and every grid run's records into `dir`, and returns
// the verdicts over them.
inline std::vector<VerdictResult> judge_hand_made(const TempDir& dir,
                                                  const std::string& experiment_text,
                                                  const HandMadeSummary& summary) {
  const Experiment e = load_experiment(write_text(dir / "experiment.toml", experiment_text));
  for (const auto& spec : expand(e)) {
    std::map<std::string, std::string> axes(spec.axes.begin(), spec.axes.end());
    nlohmann::json config = nlohmann::json::object();
    for (const auto& [key, value] : spec.options) config[key] = value;
    config["seed"] = std::stoi(axes["seed"]);
    const auto run = dir / "runs" / spec.id;
    write_text(run / "run.json", nlohmann::json({{"run_id", spec.id},
                                                 {"experiment", e.name},
                                                 {"profile", ""},
                                                 {"axes", nlohmann::json(axes)}})
                                     .dump());
    write_text(run / "config.json", config.dump());
    write_text(run / "summary.json", summary(axes).dump());
    write_text(run / "metrics.jsonl", "{\"epoch\":0,\"train_error\":0.9}\n");
  }
  return evaluate_verdicts(e, classify_runs(dir.path(), load_results(dir.path())));
}

}  // namespace actlab::testing
