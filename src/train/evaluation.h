#pragma once

#include <torch/types.h>

#include "models/network.h"
#include "src/train/config.h"
#include "src/train/device_data.h"

namespace actlab {

// The images a run trains on and is evaluated on, on the training device.
struct TrainingData {
  TrainingData(const TrainConfig& config, torch::Device device);

  DeviceImages train_images;
  DeviceImages test_images;
  // A fixed sample of the training set for the training error (the same images every time, and
  // for every seed: it depends on subset_seed only).
  torch::Tensor train_eval_indices;
  torch::Tensor test_indices;

 private:
  TrainingData(const TrainConfig& config, torch::Device device, const ImageSet& train);
  TrainingData(const TrainConfig& config, torch::Device device, const ImageSet& train,
               const PixelNormalisation& normalisation);
};

struct Evaluation {
  double loss = 0;
  double error = 0;
};

// Loss and error of `model` in eval mode over `indices` of `images` (no augmentation); the model's
// mode is restored afterwards.
Evaluation evaluate(NetworkImpl& model, const DeviceImages& images, const torch::Tensor& indices,
                    bool bf16);

}  // namespace actlab
