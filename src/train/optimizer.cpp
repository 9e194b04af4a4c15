#include "src/train/optimizer.h"

#include <torch/torch.h>

#include <cmath>

namespace actlab {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const TrainConfig& config, const std::vector<torch::Tensor>& parameters) {
  if (config.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(config.lr).weight_decay(config.weight_decay));
  }
  if (config.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(config.lr).weight_decay(config.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(parameters, torch::optim::SGDOptions(config.lr)
                                                             .momentum(config.momentum)
                                                             .nesterov(config.nesterov)
                                                             .weight_decay(config.weight_decay));
}

double learning_rate_at(const TrainConfig& config, double epoch) {
  if (config.warmup_epochs > 0 && epoch < config.warmup_epochs) {
    return config.lr * epoch / config.warmup_epochs;
  }
  if (config.schedule == "step") {
    return config.lr * std::pow(config.step_gamma, std::floor(epoch / config.step_epochs));
  }
  if (config.schedule == "cosine") {
    const double span = std::max(1e-9, config.epochs - config.warmup_epochs);
    const double progress = std::min(1.0, (epoch - config.warmup_epochs) / span);
    return 0.5 * config.lr * (1 + std::cos(M_PI * progress));
  }
  return config.lr;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace actlab
