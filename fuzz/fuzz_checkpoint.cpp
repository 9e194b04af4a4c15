// A run's checkpoint.pt, loaded as `actlab train --resume` loads it: a LibTorch archive whose meta
// record (JSON) must describe this run's configuration. The seed corpus holds a real checkpoint
// of the run below, written by this program with ACTLAB_FUZZ_WRITE_SEED=FOLDER set.

#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "models/network.h"
#include "src/train/checkpoint.h"
#include "src/train/device_data.h"
#include "src/train/optimizer.h"

namespace {

// A run small enough that each input loads in milliseconds: a three-layer, two-channel plain net.
actlab::TrainConfig tiny_run() {
  actlab::TrainConfig config;
  config.model = "plain";
  config.model_options.depth = 3;
  config.model_options.width = 2;
  config.augment = false;
  config.threads = 1;
  return actlab::resolve(config);
}

struct TinyRun {
  actlab::TrainConfig config = tiny_run();
  actlab::ImageSet images{torch::zeros({1, 3, 32, 32}, torch::kUInt8),
                          torch::zeros({1}, torch::kInt64)};
  actlab::DeviceImages device_images{images, torch::kCPU,
                                     actlab::input_normalisation("standardise", images.images)};
  actlab::RunState state;
  std::unique_ptr<actlab::TrainingContext> context;

  TinyRun() {
    state.model = actlab::build_model(config.model, config.model_options);
    state.optimizer = actlab::make_optimizer(config, state.model->parameters());
    context.reset(new actlab::TrainingContext{config, state.model, *state.optimizer, torch::kCPU,
                                              device_images, device_images});
    context->state = &state;
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed_dir = std::getenv("ACTLAB_FUZZ_WRITE_SEED")) {
    TinyRun run;
    std::filesystem::create_directories(seed_dir);
    actlab::save_checkpoint(seed_dir, run.config, run.state, {});
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static TinyRun run;  // building the net once: each input only loads
  const auto dir = actlab::fuzz::scratch() / "run";
  std::filesystem::create_directories(dir);
  actlab::write_file_atomic(actlab::checkpoint_file(dir), actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors(
      [&] { actlab::load_checkpoint(dir, run.config, *run.context, run.state, {}); });
  return 0;
}
