#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "src/train/hooks.h"

namespace actlab {

// "exp costs more than max", measured: forward + backward of `activation` and of relu on the
// model's own activation-input shapes at `batch_size`, timed side by side in this process
// (`repeats` interleaved rounds, medians), per element and as the share of a training step's
// forward + backward (the optimizer update excluded). The model's parameters, gradients, buffers
// and mode are left as they were, and the global random generator is not used, so measuring never
// changes training. Fields: see docs/records.md (activation_cost.json).
nlohmann::json measure_activation_cost(NetworkImpl& model, const std::string& activation,
                                       int64_t batch_size, torch::Device device, int repeats = 15);

// --measure-activation-cost: measures once before training and writes DIR/activation_cost.json.
class ActivationCostHook : public TrainingHook {
 public:
  explicit ActivationCostHook(std::filesystem::path dir) : dir_(std::move(dir)) {}
  void on_start(const TrainingContext& context) override;

 private:
  std::filesystem::path dir_;
};

}  // namespace actlab
