// Checkpoints: a run killed with SIGKILL at a random moment and resumed writes the records an
// uninterrupted run writes, line for line (wall-time fields aside), through `actlab train
// --resume` and through `actlab run`.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
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

namespace fs = std::filesystem;
using actlab::testing::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

// A run small enough for a test, with every kind of record and state a checkpoint must carry:
// evaluations inside epochs, K-step probes, full probes (histograms, update ratios, revival
// memory), per-step gradient norms, TensorBoard, and checkpoints inside epochs.
std::string run_arguments(const fs::path& out) {
  return fmt::format(
      "train --data '{}' --train-subset 500 --test-subset 100 --train-eval-images 100 "
      "--probe-images 100 --batch-size 50 --epochs 2 --evals-per-epoch 2 --probe-every-steps 3 "
      "--probe full --probe-per-step --tensorboard --checkpoint-every-steps 2 --lr 0.05 "
      "--threads 1 --out '{}'",
      actlab::testing::cifar10_dir().string(), out.string());
}

// Starts `actlab ARGUMENTS` (a shell command line) in its own process group, output discarded.
pid_t start_actlab(const std::string& arguments) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const std::string command =
        fmt::format("exec '{}' {} >/dev/null 2>&1", ACTLAB_BINARY, arguments);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// SIGKILL to the process (and with `group`, its whole process group) after `delay`; true when
// it was still running then.
bool kill_after(pid_t pid, std::chrono::milliseconds delay, bool group) {
  const auto deadline = Clock::now() + delay;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(group ? -pid : pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return true;
}

nlohmann::json without_wall_time(nlohmann::json record) {
  for (const char* field : {"seconds", "images_per_second", "total_seconds"}) record.erase(field);
  return record;
}

std::vector<nlohmann::json> records(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream stream(file);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(without_wall_time(nlohmann::json::parse(line)));
  }
  return lines;
}

// The TFRecord payloads of a run's event file after the first two, each without its wall times:
// the leading wall_time field (tag 1, a double: 9 bytes) and the seconds and images/s scalars.
std::vector<std::string> events_without_wall_time(const fs::path& run) {
  std::string content;
  for (const auto& entry : fs::directory_iterator(run)) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      content += actlab::read_file(entry.path());
  }
  std::vector<std::string> events;
  for (size_t at = 0; at + 12 <= content.size();) {
    uint64_t length = 0;
    std::memcpy(&length, content.data() + at, 8);
    std::string event = content.substr(at + 12, length);
    if (!event.empty() && event[0] == '\x09') event.erase(0, 9);
    // The scalars that are wall times: a tag, then field 2 (simple_value, fixed32: 0x15 + 4 bytes).
    for (const std::string tag : {"metrics/seconds", "metrics/images_per_second"}) {
      const std::string key = tag + '\x15';
      for (size_t found = event.find(key); found != std::string::npos;
           found = event.find(key, found + 1)) {
        event.replace(found + key.size(), 4, 4, '\0');
      }
    }
    events.push_back(event);
    at += 12 + length + 4;
  }
  // The file-version event, and the configuration as text: it names the run's folder.
  events.erase(events.begin(), events.begin() + std::min<size_t>(2, events.size()));
  return events;
}

void require_same_records(const fs::path& expected, const fs::path& actual) {
  for (const char* file :
       {"metrics.jsonl", "layers.jsonl", "gradients.jsonl", "histograms.jsonl"}) {
    INFO(file);
    const auto want = records(expected / file);
    const auto got = records(actual / file);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("line " << i + 1);
      REQUIRE(got[i] == want[i]);
    }
  }
  CHECK(without_wall_time(nlohmann::json::parse(actlab::read_file(actual / "summary.json"))) ==
        without_wall_time(nlohmann::json::parse(actlab::read_file(expected / "summary.json"))));
  CHECK(events_without_wall_time(actual) == events_without_wall_time(expected));
  CHECK_FALSE(fs::exists(actual / "checkpoint.pt"));  // a finished run drops its checkpoint
}

}  // namespace

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
      const pid_t pid = start_actlab(run_arguments(run) + resume);
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
                            fmt::format(R"(name = "resume"
claim = "a killed sweep resumes its runs"
[base]
data = "{}"
train_subset = 500
test_subset = 100
train_eval_images = 100
probe_images = 100
batch_size = 50
epochs = 2
evals_per_epoch = 2
checkpoint_every_steps = 2
lr = 0.05
[grid]
activation = ["relu", "tanh"]
)",
                                        actlab::testing::cifar10_dir().string()));
  const auto sweep = [&](const std::string& out) {
    return fmt::format("run '{}' --out '{}' --jobs 1", (dir / "sweep.toml").string(),
                       (dir / out).string());
  };
  REQUIRE(actlab::testing::run_actlab(sweep("reference")).exit_code == 0);

  // Kill the sweep and its training child (as a scheduler or an out-of-memory kill would) after
  // the first run has saved a checkpoint.
  const pid_t pid = start_actlab(sweep("killed"));
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
  const pid_t pid = start_actlab(arguments);
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
