// Checkpoints: a run killed with SIGKILL at a random moment and resumed writes the records an
// uninterrupted run writes, line for line (wall-time fields aside), through `actlab train
// --resume` and through `actlab run`.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "src/core/files.h"
#include "src/train/checkpoint.h"
#include "src/train/config.h"
#include "tests/helpers.h"
#include "tests/run_records.h"

namespace fs = std::filesystem;
using actlab::testing::TempDir;

using actlab::testing::Clock;
using actlab::testing::kill_after;
using actlab::testing::require_same_records;
using actlab::testing::run_arguments;
using actlab::testing::spawn_actlab;

TEST_CASE("a run killed at random moments and resumed equals the uninterrupted run",
          "[data][integration][checkpoint]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  const auto started = Clock::now();
  REQUIRE(actlab::testing::run_actlab(run_arguments(dir / "reference")).exit_code == 0);
  const auto duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  REQUIRE_FALSE(fs::exists(dir / "reference" / "checkpoint.pt"));

  // Kills at random moments: the first trial anywhere from start-up to the end (before the first
  // checkpoint the run starts over); the others at a random moment after a checkpoint exists
  // (between checkpoints, or during a save), the last one twice.
  std::mt19937 random(20261124);
  std::uniform_int_distribution<int64_t> anywhere(100, duration.count());
  std::uniform_int_distribution<int64_t> after_checkpoint(0, duration.count() / 3);
  int resumed_from_checkpoint = 0;
  for (int trial = 0; trial < 4; ++trial) {
    const fs::path run = dir / fmt::format("trial{}", trial);
    for (int kill = 0; kill < (trial == 3 ? 2 : 1); ++kill) {
      const std::string resume = kill == 0 ? "" : " --resume";
      const pid_t pid = spawn_actlab(run_arguments(run) + resume);
      if (trial == 0) {
        kill_after(pid, std::chrono::milliseconds(anywhere(random)), /*group=*/false);
      } else {
        const auto deadline = Clock::now() + std::chrono::minutes(3);
        const auto since = fs::exists(run / "checkpoint.json")
                               ? fs::last_write_time(run / "checkpoint.json")
                               : fs::file_time_type::min();
        while (Clock::now() < deadline && (!fs::exists(run / "checkpoint.json") ||
                                           fs::last_write_time(run / "checkpoint.json") == since))
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        kill_after(pid, std::chrono::milliseconds(after_checkpoint(random)), /*group=*/false);
      }
    }
    resumed_from_checkpoint += actlab::read_checkpoint_info(run).has_value();
    const auto resumed = actlab::testing::run_actlab(run_arguments(run) + " --resume");
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    require_same_records(dir / "reference", run);
  }
  // Killed runs that left no checkpoint start over, which proves nothing about resuming.
  CHECK(resumed_from_checkpoint >= 3);
}

TEST_CASE("actlab run resumes a killed sweep's runs from their checkpoints",
          "[data][integration][checkpoint]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  actlab::write_file_atomic(dir / "sweep.toml",
                            actlab::testing::small_sweep_file("resume", 2, R"("relu", "tanh")"));
  const auto sweep = [&](const std::string& out) {
    return fmt::format("run '{}' --out '{}' --jobs 1", (dir / "sweep.toml").string(),
                       (dir / out).string());
  };
  REQUIRE(actlab::testing::run_actlab(sweep("reference")).exit_code == 0);

  // Kill the sweep and its training child (as a scheduler or an out-of-memory kill would) after
  // the first run has saved a checkpoint.
  const pid_t pid = spawn_actlab(sweep("killed"));
  const fs::path first = dir / "killed" / "runs";
  const auto deadline = Clock::now() + std::chrono::minutes(5);
  bool checkpointed = false;
  while (!checkpointed && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (fs::exists(first)) {
      for (const auto& run : fs::directory_iterator(first))
        checkpointed = checkpointed || fs::exists(run.path() / "checkpoint.json");
    }
  }
  REQUIRE(checkpointed);
  kill_after(pid, std::chrono::milliseconds(0), /*group=*/true);

  const auto dry = actlab::testing::run_actlab(sweep("killed") + " --dry-run");
  INFO(dry.output);
  CHECK(dry.output.find("resume") != std::string::npos);
  const auto resumed = actlab::testing::run_actlab(sweep("killed"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  for (const auto& run : fs::directory_iterator(dir / "reference" / "runs")) {
    INFO(run.path().filename().string());
    require_same_records(run.path(), dir / "killed" / "runs" / run.path().filename());
  }
}

TEST_CASE("a checkpoint of another configuration is refused, naming the difference",
          "[data][integration][checkpoint]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  const std::string arguments = fmt::format(
      "train --data '{}' --train-subset 200 --test-subset 100 --train-eval-images 100 "
      "--probe off --batch-size 50 --epochs 3 --threads 1 --out '{}'",
      actlab::testing::cifar10_dir().string(), (dir / "run").string());
  // Interrupted after its first epoch: SIGINT saves a checkpoint and exits.
  const pid_t pid = spawn_actlab(arguments);
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  while (!fs::exists(dir / "run" / "checkpoint.json") && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(fs::exists(dir / "run" / "checkpoint.pt"));

  const auto refused = actlab::testing::run_actlab(arguments + " --lr 0.1 --resume");
  CHECK(refused.exit_code != 0);
  CHECK(refused.output.find("lr") != std::string::npos);
  CHECK(actlab::testing::count_lines(refused.output) == 1);
  CHECK(fs::exists(dir / "run" / "checkpoint.pt"));  // refusing destroys nothing

  // --resume alone takes the configuration from the checkpoint.
  const auto resumed = actlab::testing::run_actlab(
      fmt::format("train --resume --out '{}' --data '{}'", (dir / "run").string(),
                  actlab::testing::cifar10_dir().string()));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  const auto summary = nlohmann::json::parse(actlab::read_file(dir / "run" / "summary.json"));
  CHECK(summary["status"] == "completed");
  CHECK(summary["epochs_completed"] == 3);
}

TEST_CASE("channels-last trains as NCHW does up to float rounding, and resumes exactly",
          "[data][integration][checkpoint]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  const std::string channels_last = " --channels-last";
  REQUIRE(actlab::testing::run_actlab(run_arguments(dir / "nchw")).exit_code == 0);
  REQUIRE(actlab::testing::run_actlab(run_arguments(dir / "nhwc") + channels_last).exit_code == 0);
  const auto config = nlohmann::json::parse(actlab::read_file(dir / "nhwc" / "config.json"));
  CHECK(config["channels_last"] == true);

  // Before training both formats hold the same weights: the probes agree to float rounding. After
  // two epochs the rounding has moved the weights a little, not the run.
  const auto near = [](const nlohmann::json& a, const nlohmann::json& b, double relative) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::abs(x - y) <= relative * std::max({std::abs(x), std::abs(y), 1e-3});
  };
  const auto nchw_layers = actlab::testing::records(dir / "nchw" / "layers.jsonl");
  const auto nhwc_layers = actlab::testing::records(dir / "nhwc" / "layers.jsonl");
  REQUIRE(nchw_layers.size() == nhwc_layers.size());
  int compared = 0;
  for (size_t i = 0; i < nchw_layers.size(); ++i) {
    if (nchw_layers[i]["step"] != 0) continue;
    for (const auto& [field, value] : nchw_layers[i].items()) {
      if (!value.is_number_float()) continue;
      INFO(nchw_layers[i]["layer"] << " " << field);
      // A fraction of values past a threshold moves by whole values when rounding moves one
      // across it: a few of the ~10^5 counted may.
      const bool fraction = field.find("fraction") != std::string::npos || field == "sparsity";
      CHECK((near(value, nhwc_layers[i][field], 1e-5) ||
             (fraction &&
              std::abs(value.get<double>() - nhwc_layers[i][field].get<double>()) <= 1e-4)));
      ++compared;
    }
  }
  CHECK(compared > 20);
  const auto nchw_metrics = actlab::testing::records(dir / "nchw" / "metrics.jsonl");
  const auto nhwc_metrics = actlab::testing::records(dir / "nhwc" / "metrics.jsonl");
  REQUIRE(nchw_metrics.size() == nhwc_metrics.size());
  for (size_t i = 0; i < nchw_metrics.size(); ++i) {
    INFO("evaluation " << i);
    CHECK(near(nchw_metrics[i]["train_loss"], nhwc_metrics[i]["train_loss"], 1e-2));
    CHECK(near(nchw_metrics[i]["test_loss"], nhwc_metrics[i]["test_loss"], 1e-2));
    CHECK(std::abs(nchw_metrics[i]["train_error"].get<double>() -
                   nhwc_metrics[i]["train_error"].get<double>()) <= 0.05);
  }

  // Killed after a checkpoint and resumed, a channels-last run writes what it writes unkilled.
  const fs::path killed = dir / "killed";
  const pid_t pid = spawn_actlab(run_arguments(killed) + channels_last);
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  while (!fs::exists(killed / "checkpoint.json") && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  kill_after(pid, std::chrono::milliseconds(300), /*group=*/false);
  REQUIRE(actlab::read_checkpoint_info(killed).has_value());
  const auto resumed =
      actlab::testing::run_actlab(run_arguments(killed) + channels_last + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  require_same_records(dir / "nhwc", killed);
}
