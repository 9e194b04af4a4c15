#pragma once

#include <torch/serialize/input-archive.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/train/config.h"
#include "src/train/hooks.h"
#include "src/train/run_state.h"

namespace actlab {

// A run's checkpoint lives in its folder: checkpoint.pt (LibTorch archive: model, optimizer,
// random generators, the epoch's data order, running sums and every hook's state) and
// checkpoint.json (what it holds, readable without LibTorch: position, versions, configuration).
// Schema: docs/records.md.
std::filesystem::path checkpoint_file(const std::filesystem::path& run_dir);

// checkpoint.json, if the folder has a checkpoint.
struct CheckpointInfo {
  int epoch = 0;
  bool in_epoch = false;
  int64_t step = 0;
  std::string actlab_version, git_commit, libtorch_version;
  nlohmann::json config;  // to_json(TrainConfig) of the run
};
std::optional<CheckpointInfo> read_checkpoint_info(const std::filesystem::path& run_dir);

// Configuration fields a resumed run may change: where things are and how many threads run them.
bool may_differ_on_resume(const std::string& field);

// Why `info` cannot continue a run of `config` with this build, in one line; empty when it can.
std::string checkpoint_mismatch(const CheckpointInfo& info, const TrainConfig& config);

// Saves `state`, the process's random generators and each hook's state (hooks with a state_key)
// into run_dir, atomically: the previous checkpoint stays until the new one is complete.
void save_checkpoint(const std::filesystem::path& run_dir, const TrainConfig& config,
                     const RunState& state, const std::vector<TrainingHook*>& hooks);

// A checkpoint read and checked (readable, its format, of `config`), not yet applied: a resumed
// run opens it before its hooks start, so that a damaged or foreign one changes no record.
struct OpenedCheckpoint {
  std::filesystem::path path;
  torch::serialize::InputArchive archive;
  nlohmann::json meta;
};
// Throws Error, one line naming the file, when the checkpoint is missing, unreadable (truncated,
// not a checkpoint) or from another configuration.
std::unique_ptr<OpenedCheckpoint> open_checkpoint(const std::filesystem::path& run_dir,
                                                  const TrainConfig& config, torch::Device device);

// Restores what save_checkpoint saved into `state` (its model and optimizer already built from
// the same configuration), the generators, and the hooks (restore_state, after their on_start).
// Throws Error when its tensors or fields do not fit this run.
void restore_checkpoint(OpenedCheckpoint& checkpoint, const TrainingContext& context,
                        RunState& state, const std::vector<TrainingHook*>& hooks);

// open_checkpoint, then restore_checkpoint.
void load_checkpoint(const std::filesystem::path& run_dir, const TrainConfig& config,
                     const TrainingContext& context, RunState& state,
                     const std::vector<TrainingHook*>& hooks);

// Removes the checkpoint (a finished run keeps its records and model.pt, not its checkpoint).
void remove_checkpoint(const std::filesystem::path& run_dir);

}  // namespace actlab
