#pragma once

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <map>
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

// Why `info` cannot continue a run of `config` with this build, in one line; empty when it can.
std::string checkpoint_mismatch(const CheckpointInfo& info, const TrainConfig& config);

// What a checkpoint holds: the model's and optimizer's archives, the tensors of the loop, the
// generators and the hooks (named t0, t1, ...), and meta, which says where each is.
struct CheckpointContents {
  torch::serialize::OutputArchive model, optimizer, tensors;
  nlohmann::json meta;
};
CheckpointContents checkpoint_contents(const TrainConfig& config, const RunState& state,
                                       const std::vector<TrainingHook*>& hooks);
// checkpoint.pt's bytes: the LibTorch archive of `contents`, framed (magic, length, SHA-256).
std::string checkpoint_bytes(CheckpointContents& contents);

// Saves `state`, the process's random generators and each hook's state (hooks with a state_key)
// into run_dir, atomically: the previous checkpoint stays until the new one is complete.
void save_checkpoint(const std::filesystem::path& run_dir, const TrainConfig& config,
                     const RunState& state, const std::vector<TrainingHook*>& hooks);

// A checkpoint read and checked (readable, its format, of `config`), not yet applied.
struct OpenedCheckpoint {
  std::filesystem::path path;
  torch::serialize::InputArchive archive;
  nlohmann::json meta;
  std::map<std::string, HookState> hook_states;  // by state_key, read by restore_run_state
  std::vector<torch::Tensor> generator_states;
};
// Throws Error, one line naming the file, when the checkpoint is missing, unreadable (truncated,
// not a checkpoint, of an older actlab) or from another configuration.
std::unique_ptr<OpenedCheckpoint> open_checkpoint(const std::filesystem::path& run_dir,
                                                  const TrainConfig& config, torch::Device device);

// A resume in three parts, so that a checkpoint that does not fit changes no record:
// restore_run_state, before any hook starts, restores `state` (its model and optimizer already
// built from the same configuration) and checks every hook's saved state (check_state) and the
// generators' count; throws Error in one line when anything does not fit. After each hook's
// on_start, restore_hook_state gives it its state; restore_generators comes last of all.
void restore_run_state(OpenedCheckpoint& checkpoint, const TrainingContext& context,
                       RunState& state, const std::vector<TrainingHook*>& hooks);
void restore_hook_state(const OpenedCheckpoint& checkpoint, const TrainingContext& context,
                        TrainingHook& hook);
void restore_generators(const OpenedCheckpoint& checkpoint);

// All of it, for a run without records: open_checkpoint, restore_run_state, each hook's state
// (whose on_start has run), the generators.
void load_checkpoint(const std::filesystem::path& run_dir, const TrainConfig& config,
                     const TrainingContext& context, RunState& state,
                     const std::vector<TrainingHook*>& hooks);

// Removes the checkpoint (a finished run keeps its records and model.pt, not its checkpoint).
void remove_checkpoint(const std::filesystem::path& run_dir);

}  // namespace actlab
