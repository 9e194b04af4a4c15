// Safe sweeps with real processes: one writer per sweep folder (flock), SIGTERM and `timeout`
// stop the runs, results tables that cannot be written never stop runs, and runs made by
// another commit are named and kept unless --rerun-stale-code.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/experiment.h"
#include "src/harness/sweep_lock.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::count_lines;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// The pids of live processes whose command line mentions `text` (a test's unique temp folder).
std::set<pid_t> processes_mentioning(const std::string& text) {
  std::set<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stream(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(stream)),
                              std::istreambuf_iterator<char>());
    std::ifstream stat_stream(entry.path() / "stat");
    std::string stat;
    std::getline(stat_stream, stat);
    const bool zombie = stat.find(") Z ") != std::string::npos;
    if (!zombie && cmdline.find(text) != std::string::npos) pids.insert(std::stoi(name));
  }
  return pids;
}

// An experiment whose runs train far longer than any test waits.
fs::path write_long_experiment(const TempDir& dir) {
  const auto path = dir / "long.toml";
  std::ofstream(path) << R"(name = "long"
claim = "Runs that outlast the test."
[base]
model = "krizhevsky4"
epochs = 500
train_subset = 500
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
activation = ["relu", "tanh"]
)";
  return path;
}

pid_t start_actlab(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {ACTLAB_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return actlab::start_process(argv, {"/dev/null"});
}

// Both runs of the long sweep have started training (their log shows the header).
bool runs_training(const fs::path& sweep, const fs::path& file) {
  for (const auto& run : expand(load_experiment(file))) {
    try {
      if (read_file(sweep / "runs" / run.id / "log.txt").find("actlab train:") == std::string::npos)
        return false;
    } catch (const Error&) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("a sweep folder has one writer, and a holder killed by SIGKILL leaves no lock",
          "[unit][harness]") {
  TempDir dir;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    SweepLock lock(dir.path(), SweepLock::Mode::exclusive);
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  CHECK_THROWS_WITH(SweepLock(dir.path(), SweepLock::Mode::exclusive),
                    Catch::Contains("in use by another `actlab run`") &&
                        Catch::Contains(fmt::format("(pid {})", holder)));
  CHECK_THROWS_WITH(SweepLock(dir.path(), SweepLock::Mode::shared), Catch::Contains("in use"));
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  { SweepLock after(dir.path(), SweepLock::Mode::exclusive); }
  // Array tasks (--only) share the folder with each other, never with a full sweep.
  SweepLock task1(dir.path(), SweepLock::Mode::shared);
  SweepLock task2(dir.path(), SweepLock::Mode::shared);
  CHECK_THROWS_WITH(SweepLock(dir.path(), SweepLock::Mode::exclusive), Catch::Contains("in use"));
}

TEST_CASE("a second actlab run refuses, SIGTERM stops the runs and the sweep at once",
          "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);  // for the runs' --data
  TempDir dir;
  const auto file = write_long_experiment(dir);
  const auto sweep = dir / "sweep";
  const pid_t pid = start_actlab({"run", file.string(), "--out", sweep.string(), "--jobs", "2"});
  REQUIRE(wait_for([&] { return runs_training(sweep, file); }, 120s));

  const auto second = run_actlab(fmt::format("run '{}' --out '{}'", file.string(), sweep.string()));
  CHECK(second.exit_code == 1);
  CHECK(count_lines(second.output) == 1);
  CHECK_THAT(second.output, Catch::Contains("in use by another `actlab run`") &&
                                Catch::Contains(fmt::format("(pid {})", pid)));
  // A dry run only reads: it works beside the running sweep.
  CHECK(run_actlab(fmt::format("run '{}' --out '{}' --dry-run", file.string(), sweep.string()))
            .exit_code == 0);

  const std::set<pid_t> before = processes_mentioning(sweep.string());
  CHECK(before.size() == 3);  // the sweep and its two runs
  const auto signalled = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);  // the sweep only, as `kill PID` does
  int status = 0;
  REQUIRE(wait_for([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 60s));
  CHECK(std::chrono::steady_clock::now() - signalled < 30s);  // not the runs' 500 epochs
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(wait_for([&] { return processes_mentioning(sweep.string()).empty(); }, 10s));
  // The runs got the signal and recorded themselves as interrupted (so a resume redoes them).
  for (const auto& run : expand(load_experiment(file))) {
    const auto summary = nlohmann::json::parse(read_file(sweep / "runs" / run.id / "summary.json"));
    CHECK(summary["status"] == "interrupted");
  }
}

TEST_CASE("timeout 20 actlab run leaves no training child", "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);
  TempDir dir;
  const auto file = write_long_experiment(dir);
  const auto sweep = dir / "sweep";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(fmt::format("timeout 20 '{}' run '{}' --out '{}' --jobs 2 "
                                             ">/dev/null 2>&1",
                                             ACTLAB_BINARY, file.string(), sweep.string())
                                     .c_str());
  CHECK(std::chrono::steady_clock::now() - start < 40s);
  CHECK(WEXITSTATUS(status) == 124);  // timeout's code: the command was stopped
  CHECK(runs_training(sweep, file));  // the runs had started (else the test proves nothing)
  CHECK(wait_for([&] { return processes_mentioning(sweep.string()).empty(); }, 10s));
}

TEST_CASE("unwritable results never stop runs, runs of another commit are named and kept",
          "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);
  TempDir dir;
  const auto file = dir / "short.toml";
  std::ofstream(file) << R"(name = "short"
claim = "Two short runs."
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 300
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
activation = ["relu", "tanh"]
)";
  const auto sweep = dir / "sweep";
  // results.csv cannot be replaced: a folder with something in it stands in its place.
  fs::create_directories(sweep / "results.csv" / "blocker");
  const std::string command = fmt::format("run '{}' --out '{}'", file.string(), sweep.string());
  const auto first = run_actlab(command);
  CHECK(first.exit_code == 0);
  const auto runs = expand(load_experiment(file));
  for (const auto& run : runs) {
    CHECK(nlohmann::json::parse(read_file(sweep / "runs" / run.id / "summary.json"))["status"] ==
          "completed");
  }
  size_t reports = 0;
  for (size_t at = 0;
       (at = first.output.find("results tables not written", at)) != std::string::npos; ++at)
    ++reports;
  CHECK(reports == 1);  // said once, in one line
  CHECK_THAT(first.output, Catch::Contains("actlab collect"));

  // A finished run whose config.json names another commit: named, kept, redone on request.
  fs::remove_all(sweep / "results.csv");
  const fs::path config_path = sweep / "runs" / runs[0].id / "config.json";
  auto config = nlohmann::json::parse(read_file(config_path));
  config["resolved"]["git_commit"] = "0123456789abcdef0123456789abcdef01234567";
  write_file_atomic(config_path, config.dump(2));
  const auto log_time = fs::last_write_time(sweep / "runs" / runs[0].id / "log.txt");
  const auto kept = run_actlab(command);
  CHECK(kept.exit_code == 0);
  CHECK_THAT(kept.output, Catch::Contains("2 runs, 2 done, 0 to run"));
  CHECK_THAT(kept.output, Catch::Contains("1 finished run was made by commit 0123456789ab") &&
                              Catch::Contains("--rerun-stale-code"));
  CHECK(fs::last_write_time(sweep / "runs" / runs[0].id / "log.txt") == log_time);
  const auto dry = run_actlab(command + " --dry-run");
  CHECK_THAT(dry.output, Catch::Contains(runs[0].id + " (made by commit 0123456789ab)"));

  const auto redone = run_actlab(command + " --rerun-stale-code");
  CHECK(redone.exit_code == 0);
  CHECK_THAT(redone.output, Catch::Contains("2 runs, 1 done, 1 to run"));
  CHECK(nlohmann::json::parse(read_file(config_path))["resolved"]["git_commit"] == git_commit());
  // The tables name the data each run read.
  const auto fingerprint =
      nlohmann::json::parse(read_file(config_path))["resolved"]["data"]["fingerprint"];
  REQUIRE(fingerprint.is_string());
  CHECK_THAT(read_file(sweep / "results.csv"), Catch::Contains("data_fingerprint") &&
                                                   Catch::Contains(fingerprint.get<std::string>()));
  CHECK_THAT(run_actlab(command).output, !Catch::Contains("made by commit"));
}
