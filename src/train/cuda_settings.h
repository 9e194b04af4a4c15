#pragma once

#include "src/train/config.h"

namespace actlab {

// Sets LibTorch's process-wide cuDNN flags from the run's configuration (--cudnn-benchmark,
// --cudnn-deterministic), so that config.json states what the run used. Harmless without CUDA:
// the flags are only read by cuDNN convolutions.
void apply_cuda_settings(const TrainConfig& config);

}  // namespace actlab
