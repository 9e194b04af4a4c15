#pragma once

#include <filesystem>

#include "src/train/hooks.h"

namespace actlab {

// Writes DIR/model.pt when the run ends (completed, diverged or interrupted): the final
// parameters and buffers as a state dict that Python's torch.load reads and
// python/actlab_models.py loads (docs/records.md). Atomic: a killed run leaves no half file.
class WeightsHook : public TrainingHook {
 public:
  explicit WeightsHook(std::filesystem::path dir);
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;

 private:
  std::filesystem::path dir_;
};

}  // namespace actlab
