#pragma once

// Runs of `actlab train` a test starts, stops and compares: the run every kind of record and
// state a checkpoint must carry, and the comparison "same records as the uninterrupted run".

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "src/core/files.h"
#include "src/tensorboard/tensorboard.pb.h"
#include "tests/helpers.h"

namespace actlab::testing {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// A run small enough for a test, with every kind of record and state a checkpoint must carry:
// evaluations inside epochs, K-step probes, full probes (histograms, update ratios, revival
// memory), per-step gradient norms, TensorBoard, and checkpoints inside epochs.
inline std::string run_arguments(const fs::path& out) {
  return fmt::format(
      "train --data '{}' --train-subset 500 --test-subset 100 --train-eval-images 100 "
      "--probe-images 100 --batch-size 50 --epochs 2 --evals-per-epoch 2 --probe-every-steps 3 "
      "--probe full --probe-per-step --tensorboard --checkpoint-every-steps 2 --lr 0.05 "
      "--threads 1 --out '{}'",
      actlab::testing::cifar10_dir().string(), out.string());
}

// An experiment file of runs as small as run_arguments' (without its probes), checkpointing every
// 2 steps, over `activations`.
inline std::string small_sweep_file(const std::string& name, int epochs,
                                    const std::string& activations) {
  return fmt::format(R"(name = "{}"
claim = "a sweep of small runs"
[base]
data = "{}"
train_subset = 500
test_subset = 100
train_eval_images = 100
probe_images = 100
batch_size = 50
epochs = {}
evals_per_epoch = 2
checkpoint_every_steps = 2
lr = 0.05
[grid]
activation = [{}]
)",
                     name, cifar10_dir().string(), epochs, activations);
}

// Starts `actlab ARGUMENTS` (a shell command line) in its own process group, its output going to
// `log` (discarded by default).
inline pid_t spawn_actlab(const std::string& arguments, const std::string& log = "/dev/null") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const std::string command =
        fmt::format("exec '{}' {} >'{}' 2>&1", ACTLAB_BINARY, arguments, log);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// SIGKILL to the process (and with `group`, its whole process group) after `delay`; true when
// it was still running then.
inline bool kill_after(pid_t pid, std::chrono::milliseconds delay, bool group) {
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

inline nlohmann::json without_wall_time(nlohmann::json record) {
  for (const char* field : {"seconds", "images_per_second", "total_seconds"}) record.erase(field);
  return record;
}

inline std::vector<nlohmann::json> records(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream stream(file);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(without_wall_time(nlohmann::json::parse(line)));
  }
  return lines;
}

// The events of a run's event file after the first two, each without its wall times: the
// event's wall_time, the seconds and images/s scalars, and the HParams session's start and end
// times (parsed with the messages actlab writes, src/tensorboard/tensorboard.proto).
// Serialized with map entries in key order, so equal messages give equal bytes.
inline std::string deterministic_bytes(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

inline std::vector<std::string> events_without_wall_time(const fs::path& run) {
  namespace pb = actlab::tensorboard::proto;
  std::string content;
  for (const auto& entry : fs::directory_iterator(run)) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      content += actlab::read_file(entry.path());
  }
  std::vector<std::string> events;
  for (size_t at = 0; at + 12 <= content.size();) {
    uint64_t length = 0;
    std::memcpy(&length, content.data() + at, 8);
    pb::Event event;
    REQUIRE(event.ParseFromString(content.substr(at + 12, length)));
    event.clear_wall_time();
    for (auto& value : *event.mutable_summary()->mutable_value()) {
      if (value.tag() == "metrics/seconds" || value.tag() == "metrics/images_per_second")
        value.set_simple_value(0);
      if (value.metadata().plugin_data().plugin_name() != "hparams") continue;
      pb::HParamsPluginData data;
      REQUIRE(data.ParseFromString(value.metadata().plugin_data().content()));
      if (data.has_session_start_info()) data.mutable_session_start_info()->clear_start_time_secs();
      if (data.has_session_end_info()) data.mutable_session_end_info()->clear_end_time_secs();
      value.mutable_metadata()->mutable_plugin_data()->set_content(deterministic_bytes(data));
    }
    events.push_back(deterministic_bytes(event));
    at += 12 + length + 4;
  }
  // The file-version event, and the configuration as text: it names the run's folder.
  events.erase(events.begin(), events.begin() + std::min<size_t>(2, events.size()));
  return events;
}

inline void require_same_records(const fs::path& expected, const fs::path& actual) {
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

}  // namespace actlab::testing
