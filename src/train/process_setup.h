#pragma once

// What a training process sets up around the loop: its device, threads and seeds, and the stop
// request that SIGINT/SIGTERM make.

#include <torch/torch.h>

#include <string>

#include "src/train/config.h"

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

// Process-wide settings a run needs before anything is built: device, threads, seeds (and the
// CUDA and denormal settings). Throws Error for a configuration this machine cannot run.
torch::Device prepare_process(const TrainConfig& config);

}  // namespace actlab
