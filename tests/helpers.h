#pragma once

// Shared test fixtures: real temporary folders, the real `actlab` binary, the real CIFAR-10.

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "src/core/process.h"
#include "src/train/config.h"

namespace actlab::testing {

// A fresh folder under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "actlab-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The prepared CIFAR-10 folder: $ACTLAB_DATA, else the checkout's data/cifar-10-batches-bin.
inline std::filesystem::path cifar10_dir() {
  if (const char* env = std::getenv("ACTLAB_DATA")) return env;
  return ACTLAB_TEST_DATA_DIR;
}

inline bool have_cifar10() {
  return std::filesystem::exists(cifar10_dir() / "test_batch.bin");
}

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the built `actlab` with `arguments` (already shell-quoted) and captures its output.
inline ProcessResult run_actlab(const std::string& arguments) {
  const std::string command = fmt::format("'{}' {} 2>&1", ACTLAB_BINARY, arguments);
  ProcessResult result;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), read);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A run that trains in a second: a three-layer, four-channel plain net on 300 training and 100
// test images, batches of 100 (3 steps an epoch), 2 epochs. Not resolved: tests change it first.
inline TrainConfig tiny_training() {
  TrainConfig config;
  config.data_dir = cifar10_dir().string();
  config.model = "plain";
  config.model_options.depth = 3;
  config.model_options.width = 4;
  config.train_subset = 300;
  config.test_subset = 100;
  config.batch_size = 100;
  config.probe_images = 50;
  config.epochs = 2;
  return config;
}

// Writes `text` to `path` (parent folders made) and returns the path.
inline std::filesystem::path write_text(const std::filesystem::path& path,
                                        const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

inline int count_lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

// The headless browser the browser tests drive, or "" (they then print SKIPPED: and CTest
// reports them skipped).
inline std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (actlab::run_process({name, "--version"}).exit_code == 0) return name;
  }
  return "";
}

}  // namespace actlab::testing
