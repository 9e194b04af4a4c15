#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>

#include "models/network.h"
#include "src/train/hooks.h"

namespace actlab {

// Running sums of the epoch being trained (what metrics.jsonl reports at its end).
struct EpochProgress {
  torch::Tensor order;     // this epoch's shuffled training indices
  int64_t batches = 0;     // batches of `order` trained so far
  torch::Tensor loss_sum;  // float64 on the device: summed batch losses x batch sizes
  torch::Tensor wrong;     // float64 on the device: misclassified training images as trained
  int64_t images = 0;
  int64_t clipped = 0;
  double evaluation_seconds = 0;  // evaluations inside the epoch: not training time
  double elapsed_seconds = 0;     // wall time in this epoch so far, all sessions (resumed runs)
};

// Everything a run needs to continue: what the loop advances and a checkpoint saves. The random
// generators are not members: they are the process's own, and the checkpoint saves their state.
struct RunState {
  Network model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int epoch = 0;              // epochs completed, or the epoch being trained while in_epoch
  bool in_epoch = false;      // between an epoch's first and last batch
  int64_t step = 0;           // optimizer steps taken
  int64_t images_seen = 0;    // training images of completed epochs
  EpochProgress progress;     // valid while in_epoch
  RunSummary summary;         // best/final errors so far; status "running" until the end
  double seconds_before = 0;  // wall seconds of earlier sessions of this run
};

}  // namespace actlab
