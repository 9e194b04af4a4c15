#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "src/train/config.h"
#include "src/train/hooks.h"
#include "src/train/process_setup.h"

namespace actlab {

// The one training loop: loads the data, builds the model, evaluates at epoch 0, after each
// epoch (and evals_per_epoch - 1 times inside each), and reports to `hooks`. `config` must be
// resolved (see resolve()). Never throws for a diverging or interrupted run: the summary says so.
// With `resume_from`, continues the run whose checkpoint is in that folder (src/train/checkpoint.h)
// instead of starting over; throws Error when the checkpoint cannot continue this configuration.
// --channels-last: the model's 4-d (convolution) weights in NHWC memory; nothing otherwise.
void apply_memory_format(torch::nn::Module& model, const TrainConfig& config);

RunSummary train(const TrainConfig& config, const std::vector<TrainingHook*>& hooks,
                 const std::optional<std::filesystem::path>& resume_from = std::nullopt);

}  // namespace actlab
