#include "src/train/cuda_settings.h"

#include <ATen/Context.h>

namespace actlab {

void apply_cuda_settings(const TrainConfig& config) {
  at::globalContext().setBenchmarkCuDNN(config.cudnn_benchmark);
  at::globalContext().setDeterministicCuDNN(config.cudnn_deterministic);
}

}  // namespace actlab
