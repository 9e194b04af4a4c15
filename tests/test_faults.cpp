// Faults on the way out: a disk that fills up during a run or a sweep, and damaged checkpoints
// left by an earlier run. A real filesystem fills (a tmpfs, mounted as root; elsewhere the tests
// print SKIPPED and CTest reports them skipped); actlab must end in one line naming the file and
// the cause, leave no temporary file, keep the last good checkpoint, and resume once there is
// space to the records the uninterrupted run writes.

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "src/core/files.h"
#include "src/train/checkpoint_hook.h"
#include "src/train/run_recorder.h"
#include "src/train/trainer.h"
#include "tests/helpers.h"
#include "tests/run_records.h"

namespace fs = std::filesystem;
using actlab::testing::TempDir;

namespace {

// A tmpfs of `megabytes` at a fresh folder, unmounted at scope exit. mounted() is false (and the
// test skips) where this process may not mount (not root, or no mount namespace rights).
class SmallDisk {
 public:
  explicit SmallDisk(int megabytes) : path_(dir_.path() / "disk") {
    fs::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0,
                       fmt::format("size={}m", megabytes).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const fs::path& path() const { return path_; }
  // Fills what is left with a file beside the runs: the next write of any size fails.
  void fill() const {
    const int fd = ::open((path_ / "ballast").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    REQUIRE(fd >= 0);
    const std::string block(1 << 20, 'x');
    for (size_t size = block.size(); size >= 1;) {
      if (::write(fd, block.data(), size) < static_cast<ssize_t>(size)) size /= 2;
    }
    ::close(fd);
  }
  // Room again: the disk grows, as when a user frees space or moves to a bigger one.
  void enlarge(int megabytes) const {
    REQUIRE(::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT,
                    fmt::format("size={}m", megabytes).c_str()) == 0);
  }

 private:
  TempDir dir_;
  fs::path path_;
  bool mounted_ = false;
};

bool skip_without_mount(const SmallDisk& disk) {
  if (disk.mounted()) return false;
  std::cout << "SKIPPED: mounting a small tmpfs needs root (run the tests as root or in CI)\n";
  return true;
}

// Waits for `done` (polled every 10 ms, 3 minutes at most).
template <typename Condition>
bool wait_for(Condition done) {
  const auto deadline = actlab::testing::Clock::now() + std::chrono::minutes(3);
  while (!done()) {
    if (actlab::testing::Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int exit_code_of(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> temporary_files(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp") != std::string::npos)
      found.push_back(entry.path().string());
  }
  return found;
}

// The lines of `text` that report an error ("error:"); a stack trace or an abort shows as
// "frame #" or "terminate".
std::vector<std::string> error_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    if (line.find("error:") != std::string::npos) lines.push_back(line);
  return lines;
}

// Starts `actlab ARGUMENTS` (a run into `run`) and stops it with Ctrl-C once its first checkpoint
// is written: it must end interrupted, exit 130 (128 + SIGINT, as shells report it).
void interrupt_at_first_checkpoint(const std::string& arguments, const fs::path& run) {
  const pid_t pid = actlab::testing::spawn_actlab(arguments);
  REQUIRE(wait_for([&] { return fs::exists(run / "checkpoint.json"); }));
  ::kill(pid, SIGINT);
  CHECK(exit_code_of(pid) == 130);
}

void require_one_clean_error(const std::string& output, const std::string& cause) {
  INFO(output);
  const auto errors = error_lines(output);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find(cause) != std::string::npos);
  CHECK(output.find("frame #") == std::string::npos);
  CHECK(output.find("terminate") == std::string::npos);
}

std::string status_of(const fs::path& run) {
  try {
    return nlohmann::json::parse(actlab::read_file(run / "summary.json")).value("status", "");
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

TEST_CASE(
    "a disk that fills up interrupts the run in one line, and --resume then gives its records",
    "[data][integration][faults][tmpfs]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  SmallDisk disk(64);
  if (skip_without_mount(disk)) return;
  TempDir dir;
  using actlab::testing::run_arguments;
  REQUIRE(actlab::testing::run_actlab(run_arguments(dir / "reference")).exit_code == 0);

  const fs::path run = disk.path() / "run";
  const fs::path log = dir / "log.txt";
  const pid_t pid = actlab::testing::spawn_actlab(run_arguments(run), log.string());
  REQUIRE(wait_for([&] { return fs::exists(run / "checkpoint.json"); }));
  disk.fill();
  CHECK(exit_code_of(pid) == actlab::kWriteFailedExitCode);
  const std::string output = actlab::read_file(log);
  require_one_clean_error(output, "No space left on device");
  CHECK(output.find("--resume") != std::string::npos);
  CHECK(temporary_files(run).empty());
  REQUIRE(fs::exists(run / "checkpoint.pt"));  // the last good one, kept

  disk.enlarge(256);
  const auto resumed = actlab::testing::run_actlab(run_arguments(run) + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  actlab::testing::require_same_records(dir / "reference", run);
}

TEST_CASE("a sweep whose disk fills up stops in one line, keeps its finished runs, and resumes",
          "[data][integration][faults][tmpfs]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  SmallDisk disk(64);
  if (skip_without_mount(disk)) return;
  TempDir dir;
  actlab::write_file_atomic(
      dir / "sweep.toml",
      actlab::testing::small_sweep_file("full_disk", 3, R"("relu", "tanh", "sigmoid")"));
  const fs::path out = disk.path() / "sweep";
  const std::string sweep =
      fmt::format("run '{}' --out '{}' --jobs 1", (dir / "sweep.toml").string(), out.string());
  const fs::path log = dir / "log.txt";
  const pid_t pid = actlab::testing::spawn_actlab(sweep, log.string());
  fs::path finished;
  REQUIRE(wait_for([&] {
    if (!fs::exists(out / "runs")) return false;
    for (const auto& run : fs::directory_iterator(out / "runs"))
      if (status_of(run.path()) == "completed") finished = run.path();
    return !finished.empty();
  }));
  disk.fill();
  CHECK(exit_code_of(pid) == actlab::kWriteFailedExitCode);
  const std::string output = actlab::read_file(log);
  require_one_clean_error(output, "not started");
  CHECK(status_of(finished) == "completed");            // a finished run survives the full disk
  CHECK_FALSE(fs::exists(finished / "checkpoint.pt"));  // and said so only once it was done
  CHECK(temporary_files(out).empty());

  disk.enlarge(256);
  fs::remove(disk.path() / "ballast");
  const auto resumed = actlab::testing::run_actlab(sweep);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  int completed = 0;
  for (const auto& run : fs::directory_iterator(out / "runs"))
    completed += status_of(run.path()) == "completed";
  CHECK(completed == 3);
}

TEST_CASE("a truncated or foreign checkpoint is refused in one line, and nothing is destroyed",
          "[data][integration][faults]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  const fs::path run = dir / "run";
  const auto arguments_for = [&](int epochs, const fs::path& out) {
    return fmt::format(
        "train --data '{}' --train-subset 200 --test-subset 100 --train-eval-images 100 "
        "--probe off --batch-size 50 --epochs {} --threads 1 --out '{}'",
        actlab::testing::cifar10_dir().string(), epochs, out.string());
  };
  const std::string arguments = arguments_for(3, run);
  // A finished run's model.pt: a real PyTorch file, but not a checkpoint.
  REQUIRE(actlab::testing::run_actlab(arguments_for(1, dir / "finished")).exit_code == 0);
  const std::string model = actlab::read_file(dir / "finished" / "model.pt");
  interrupt_at_first_checkpoint(arguments, run);
  const std::string checkpoint = actlab::read_file(run / "checkpoint.pt");
  const std::string damaged = fmt::format(
      "actlab: error: cannot read checkpoint '{}': it is truncated, damaged or not an actlab "
      "checkpoint; remove it to start the run over\n",
      (run / "checkpoint.pt").string());
  // A bare LibTorch archive (zip) is what actlab wrote before checkpoints were framed.
  const std::string unframed = fmt::format(
      "actlab: error: '{}' is a LibTorch archive without actlab's frame: written by an older "
      "actlab (checkpoint format 1) or not a checkpoint; start over with --overwrite\n",
      (run / "checkpoint.pt").string());
  for (const auto& [what, bytes, expected] : std::vector<std::array<std::string, 3>>{
           {"truncated", checkpoint.substr(0, checkpoint.size() / 2), damaged},
           {"one byte changed",
            std::string(checkpoint)
                .replace(checkpoint.size() / 2, 1, 1, checkpoint[checkpoint.size() / 2] ^ 1),
            damaged},
           {"empty", "", damaged},
           {"model.pt", model, unframed},
           {"text", "not a checkpoint\n", damaged}}) {
    INFO(what);
    actlab::write_file_atomic(run / "checkpoint.pt", bytes);
    const std::string summary = actlab::read_file(run / "summary.json");
    const auto refused = actlab::testing::run_actlab(arguments + " --resume");
    CHECK(refused.exit_code == 1);
    const auto errors = error_lines(refused.output);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] + "\n" == expected);
    // Refusing destroys nothing, and the run's records still say how it stopped.
    CHECK(actlab::read_file(run / "checkpoint.pt") == bytes);
    CHECK(actlab::read_file(run / "summary.json") == summary);
  }
  actlab::write_file_atomic(run / "checkpoint.pt", checkpoint);  // the good one resumes
  const auto resumed = actlab::testing::run_actlab(arguments + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
}

namespace {

// Every file of a run folder and its bytes.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = actlab::read_file(entry.path());
  return files;
}

fs::path event_file_of(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) return entry.path();
  return {};
}

}  // namespace

TEST_CASE("a whole checkpoint that does not fit the run's records is refused before any changes",
          "[data][integration][faults]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  const fs::path run = dir / "run";
  const std::string arguments = actlab::testing::run_arguments(run);
  interrupt_at_first_checkpoint(arguments, run);
  const fs::path events = event_file_of(run);
  REQUIRE(!events.empty());
  const std::string event_bytes = actlab::read_file(events);
  const std::string name = events.filename().string();
  for (const auto& [what, bytes, cause] : std::vector<std::array<std::string, 3>>{
           {"missing", "", fmt::format("its TensorBoard event file '{}' is missing", name)},
           {"short", event_bytes.substr(0, 10),
            fmt::format("its TensorBoard event file '{}' has 10 bytes, the checkpoint counts",
                        name)}}) {
    INFO(what);
    if (what == "missing") {
      fs::remove(events);
    } else {
      actlab::write_file_atomic(events, bytes);
    }
    const auto before = files_of(run);
    const auto refused = actlab::testing::run_actlab(arguments + " --resume");
    CHECK(refused.exit_code == 1);
    require_one_clean_error(refused.output, cause);
    CHECK_THAT(refused.output, Catch::Contains("does not fit this run's records"));
    CHECK(files_of(run) == before);  // config.json, summary.json, probes: as they were
  }
  actlab::write_file_atomic(events, event_bytes);
  const auto resumed = actlab::testing::run_actlab(arguments + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(status_of(run) == "completed");
}

TEST_CASE("a resume that meets a full disk changes no record, and resumes once there is room",
          "[data][integration][faults][tmpfs]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  SmallDisk disk(64);
  if (skip_without_mount(disk)) return;
  TempDir dir;
  using actlab::testing::run_arguments;
  REQUIRE(actlab::testing::run_actlab(run_arguments(dir / "reference")).exit_code == 0);
  const fs::path run = disk.path() / "run";
  interrupt_at_first_checkpoint(run_arguments(run), run);
  const auto before = files_of(run);
  REQUIRE(before.at("layers.jsonl").size() > 0);
  disk.fill();
  const auto refused = actlab::testing::run_actlab(run_arguments(run) + " --resume");
  CHECK(refused.exit_code == actlab::kWriteFailedExitCode);
  require_one_clean_error(refused.output, "No space left on device");
  // No hook that did not start finishes: the probes' records are not replaced by empty ones.
  CHECK(files_of(run) == before);
  CHECK(temporary_files(run).empty());

  disk.enlarge(256);
  const auto resumed = actlab::testing::run_actlab(run_arguments(run) + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  actlab::testing::require_same_records(dir / "reference", run);
}

namespace {

// A records writer whose disk fills up as the run ends (after RunRecorder's on_finish).
struct FullDiskAtTheEnd : actlab::TrainingHook {
  fs::path file;
  void on_finish(const actlab::TrainingContext&, const actlab::RunSummary&) override {
    throw actlab::WriteError(file, ENOSPC);
  }
};

}  // namespace

TEST_CASE("a write failing as the run ends leaves it resumable, never 'completed'",
          "[data][faults]") {
  if (!actlab::testing::have_cifar10()) FAIL("no CIFAR-10: run scripts/test.sh (it prepares it)");
  TempDir dir;
  actlab::TrainConfig config = actlab::testing::tiny_training();
  config.train_eval_images = 100;
  config.augment = false;
  config.threads = 1;
  config = actlab::resolve(config);
  actlab::RunRecorder recorder(dir.path(), actlab::RunRecorder::Existing::kOverwrite);
  FullDiskAtTheEnd full;
  full.file = dir / "layers.jsonl";
  actlab::CheckpointHook checkpoints(dir.path(), 0, {&recorder});
  const auto summary = actlab::train(config, {&recorder, &full, &checkpoints}, std::nullopt);
  CHECK(summary.status == actlab::RunStatus::interrupted);
  CHECK(summary.write_failed);
  CHECK_THAT(summary.message, Catch::Contains("layers.jsonl") && Catch::Contains("No space"));
  // summary.json is written after every on_finish: it says how the run stopped, and the
  // checkpoint of its last epoch stays for --resume.
  CHECK(status_of(dir.path()) == "interrupted");
  CHECK(fs::exists(dir / "checkpoint.pt"));
}
