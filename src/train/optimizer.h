#pragma once

#include <torch/optim/optimizer.h>

#include <memory>

#include "src/train/config.h"

namespace actlab {

// SGD (momentum, Nesterov), Adam or AdamW over `parameters`, as the config says.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const TrainConfig& config, const std::vector<torch::Tensor>& parameters);

// The learning rate at a point of training: linear warm-up, then constant, step or cosine decay.
// `epoch` is fractional (step / steps_per_epoch) so schedules move every step.
double learning_rate_at(const TrainConfig& config, double epoch);

// Sets every parameter group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace actlab
