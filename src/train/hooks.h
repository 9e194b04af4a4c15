#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "models/network.h"
#include "src/records/run_status.h"
#include "src/train/config.h"

namespace actlab {

class DeviceImages;
struct RunState;

// One evaluation: before the first step (epoch 0), after every epoch and, with evals_per_epoch
// N > 1, N - 1 times inside each epoch (epoch_end false).
struct EpochMetrics {
  int epoch = 0;            // epochs completed (epoch end), or the epoch being trained (inside)
  double position = 0;      // fractional epochs trained: epoch - 1 + steps of it / steps per epoch
  bool epoch_end = true;    // false for the evaluations inside an epoch
  int64_t step = 0;         // optimizer steps taken so far
  int64_t images_seen = 0;  // training images processed so far
  double train_loss = 0;    // eval mode, no augmentation, on train_eval_images training images
  double train_error = 0;
  std::optional<double> train_loss_running;   // mean over the epoch's batches as trained (with
  std::optional<double> train_error_running;  // augmentation, weights moving); none at epoch 0
  double test_loss = 0;
  double test_error = 0;
  double lr = 0;                 // learning rate at the end of the epoch (or at the evaluation)
  double seconds = 0;            // wall time since the start of training
  double images_per_second = 0;  // training throughput of this epoch (0 at epoch 0)
  int64_t clipped_steps = 0;     // steps whose gradient norm was clipped, this epoch
};

// How a run ended.
struct RunSummary {
  RunStatus status = RunStatus::running;
  std::string message;
  std::optional<int64_t> diverged_step;
  int epochs_completed = 0;
  int64_t steps = 0;
  double final_test_error = 1;
  double best_test_error = 1;
  int best_epoch = 0;
  double final_train_error = 1;
  double total_seconds = 0;
  int64_t clipped_steps = 0;
  // --stop-when: the position of the first evaluation that met it, the evaluations after it
  // (--stop-patience counts them) and, once the run stopped on it, why (else empty).
  std::optional<double> stop_target_position;
  int evaluations_past_stop_target = 0;
  std::string stop_reason;
  // Interrupted because a record or checkpoint could not be written (a full disk): the last good
  // checkpoint is kept as it is, not replaced by one of this moment (not recorded).
  bool write_failed = false;
};

nlohmann::json to_json(const EpochMetrics& metrics);
EpochMetrics epoch_metrics_from_json(const nlohmann::json& record);  // inverse of to_json
nlohmann::json to_json(const RunSummary& summary);
RunSummary summary_from_json(const nlohmann::json& record);  // inverse of to_json

// What hooks may look at while the loop runs.
struct TrainingContext {
  const TrainConfig& config;
  Network model;
  torch::optim::Optimizer& optimizer;
  torch::Device device;
  const DeviceImages& train_images;
  const DeviceImages& test_images;
  int epoch = 0;     // the epoch being trained (1-based), or 0 before training
  int64_t step = 0;  // optimizer steps taken so far
  // The run continues from a checkpoint: on_start is followed by restore_state, and hooks must
  // not reset records that the checkpoint restores. The model, optimizer and loop state are
  // already restored when on_start runs.
  bool resumed = false;
  const RunState* state = nullptr;  // what the loop advances (model, optimizer, position, sums)
  // Optimizer steps in a full epoch (the last partial batch is dropped), for positions in epochs.
  int64_t steps_per_epoch = 0;
};

// What a hook carries from one part of a run to the next (records so far, running sums), saved
// in the run's checkpoint. Tensors are stored on the CPU and restored to the run's device.
struct HookState {
  nlohmann::json values = nlohmann::json::object();
  std::map<std::string, torch::Tensor> tensors;  // undefined tensors are left out
};

// Observers of the one training loop (progress, records, and later probes). They never change
// what the loop computes; the loop calls them in the order given.
class TrainingHook {
 public:
  virtual ~TrainingHook() = default;
  virtual void on_start(const TrainingContext&) {}
  // Gradients of the step are in place; the optimizer has not stepped yet.
  virtual void after_backward(const TrainingContext&, const torch::Tensor& /*loss*/) {}
  // The optimizer has stepped; context.step counts this step.
  virtual void after_step(const TrainingContext&) {}
  virtual void on_evaluation(const TrainingContext&, const EpochMetrics&) {}
  // An epoch has ended and been evaluated; the run's state is complete for it (its status may
  // have become "diverged").
  virtual void on_epoch_end(const TrainingContext&) {}
  virtual void on_finish(const TrainingContext&, const RunSummary&) {}
  // After every hook's on_finish: what declares the run's end (summary.json's final status) and
  // what may go only then (the checkpoint), so that a write failing in any on_finish leaves a
  // run that still says "running" or "interrupted", and resumes.
  virtual void after_finish(const TrainingContext&, const RunSummary&) {}

  // Checkpoints. A hook whose later records depend on what it saw earlier names its state with a
  // stable key, saves it between steps and restores it right after on_start of a resumed run, so
  // that the resumed run writes the records an uninterrupted run would have written.
  virtual std::string state_key() const { return {}; }
  virtual void save_state(HookState&) {}
  // Why a saved `state` cannot be restored into this run, in a few words; empty when it can.
  // Asked before any hook starts, so that a checkpoint that does not fit changes no record;
  // restore_state may rely on what it checked.
  virtual std::string check_state(const TrainingContext&, const HookState&) const { return {}; }
  virtual void restore_state(const TrainingContext&, const HookState&) {}
};

}  // namespace actlab
