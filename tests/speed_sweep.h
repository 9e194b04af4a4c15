#pragma once

// A hand-written sweep of the kSweep grid (relu and tanh, seeds 0-2) whose runs hold given
// training-error areas: the verdict, run-classification and RESULTS.md tests read it.

#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "tests/helpers.h"

namespace actlab::testing {

inline const char* kSweep = R"(name = "speed"
claim = "relu reaches the target sooner than tanh."
source = "tests"
control = "the same net and lr; only the activation differs"
[base]
model = "krizhevsky4"
epochs = 4
[grid]
activation = ["relu", "tanh"]
seed = [0, 1, 2]
[quick]
epochs = 1
[quick.grid]
seed = [0]
[[verdict]]
says = "tanh needs at least 1.5x relu's epochs"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio >= 1.5"
)";

// A run folder as `actlab run` leaves it, with the given status and area under the curve.
inline void write_run(const std::filesystem::path& sweep, const RunSpec& spec,
                      const std::string& status, double auc, const std::string& profile = "") {
  const auto dir = sweep / "runs" / spec.id;
  nlohmann::json axes = nlohmann::json::object();
  for (const auto& [key, value] : spec.axes) axes[key] = value;
  write_text(
      dir / "run.json",
      nlohmann::json(
          {{"run_id", spec.id}, {"experiment", "speed"}, {"profile", profile}, {"axes", axes}})
          .dump());
  nlohmann::json config = nlohmann::json::object();
  for (const auto& [key, value] : spec.options) config[key] = value;
  config["activation"] = config["activation"].get<std::string>() == "relu" ? "relu" : "tanh";
  write_text(dir / "config.json", config.dump());
  write_text(dir / "summary.json",
             nlohmann::json({{"status", status}, {"train_error_auc", auc}}).dump());
  write_text(dir / "metrics.jsonl", "{\"epoch\":0,\"train_error\":0.9}\n");
}

// A sweep of the kSweep grid whose relu runs have `relu` and tanh runs `tanh` as their AUCs.
inline TempDir make_sweep(const std::vector<double>& relu, const std::vector<double>& tanh) {
  TempDir dir;
  const auto file = write_text(dir / "sweep" / "experiment.toml", kSweep);
  const auto runs = expand(load_experiment(file));
  for (size_t i = 0; i < runs.size(); ++i) {
    const bool is_relu = i < 3;
    write_run(dir / "sweep", runs[i], "completed", is_relu ? relu[i] : tanh[i - 3]);
  }
  return dir;
}

inline VerdictResult verdict_of(const TempDir& dir) {
  const auto sweep = dir / "sweep";
  const auto verdicts = evaluate_verdicts(load_experiment(sweep / "experiment.toml"),
                                          classify_runs(sweep, load_results(sweep)));
  REQUIRE(verdicts.size() == 1);
  return verdicts[0];
}

}  // namespace actlab::testing
