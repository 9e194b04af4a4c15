#pragma once

#include <filesystem>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

// Saves the run's checkpoint (src/train/checkpoint.h) after every epoch, every `every_steps`
// steps (0: epochs only) and when the run is interrupted, so a killed run loses at most one
// interval; removes it when the run completes or diverges. It saves the state of `hooks`, so it
// comes after them in the hook list.
class CheckpointHook : public TrainingHook {
 public:
  CheckpointHook(std::filesystem::path dir, int64_t every_steps, std::vector<TrainingHook*> hooks);

  void after_step(const TrainingContext& context) override;
  void on_epoch_end(const TrainingContext& context) override;
  void after_finish(const TrainingContext& context, const RunSummary& summary) override;

  int64_t saves() const { return saves_; }

 private:
  void save(const TrainingContext& context);

  std::filesystem::path dir_;
  int64_t every_steps_;
  std::vector<TrainingHook*> hooks_;
  int64_t saves_ = 0;
};

}  // namespace actlab
