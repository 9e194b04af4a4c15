#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "src/train/config.h"
#include "src/train/hooks.h"

namespace actlab {

// Asks the running loop to stop after its current step (the run is recorded as interrupted).
void request_stop();
bool stop_requested();
// Withdraws a stop request (tests that stop one run and train another in the same process).
void clear_stop_request();
// SIGINT/SIGTERM call request_stop(); a second Ctrl-C kills the process as usual.
void install_interrupt_handler();

// "auto" picks CUDA when present. Throws Error for an unknown or unavailable device.
torch::Device resolve_device(const std::string& name);

// The one training loop: loads the data, builds the model, evaluates at epoch 0, after each
// epoch (and evals_per_epoch - 1 times inside each), and reports to `hooks`. `config` must be
// resolved (see resolve()). Never throws for a diverging or interrupted run: the summary says so.
// With `resume_from`, continues the run whose checkpoint is in that folder (src/train/checkpoint.h)
// instead of starting over; throws Error when the checkpoint cannot continue this configuration.
RunSummary train(const TrainConfig& config, const std::vector<TrainingHook*>& hooks,
                 const std::optional<std::filesystem::path>& resume_from = std::nullopt);

}  // namespace actlab
