#pragma once

// The run whose checkpoints the checkpoint targets load: small enough that each input loads in
// milliseconds (a three-layer, two-channel plain net on one blank image), with a records hook so
// that a hook's saved state is part of what is read.

#include <filesystem>
#include <memory>

#include "models/network.h"
#include "src/train/device_data.h"
#include "src/train/optimizer.h"
#include "src/train/run_recorder.h"
#include "src/train/run_state.h"

namespace actlab::fuzz {

inline TrainConfig tiny_run_config() {
  TrainConfig config;
  config.model = "plain";
  config.model_options.depth = 3;
  config.model_options.width = 2;
  config.augment = false;
  config.threads = 1;
  return resolve(config);
}

struct TinyRun {
  explicit TinyRun(const std::filesystem::path& dir)
      : recorder((std::filesystem::create_directories(dir), dir),
                 RunRecorder::Existing::kContinue) {
    state.model = build_model(config.model, config.model_options);
    state.optimizer = make_optimizer(config, state.model->parameters());
    context.reset(new TrainingContext{config, state.model, *state.optimizer, torch::kCPU,
                                      device_images, device_images});
    context->state = &state;
  }
  std::vector<TrainingHook*> hooks() { return {&recorder}; }

  TrainConfig config = tiny_run_config();
  ImageSet images{torch::zeros({1, 3, 32, 32}, torch::kUInt8), torch::zeros({1}, torch::kInt64)};
  DeviceImages device_images{images, torch::kCPU,
                             input_normalisation("standardise", images.images)};
  RunState state;
  std::unique_ptr<TrainingContext> context;
  RunRecorder recorder;
};

}  // namespace actlab::fuzz
