#pragma once

#include <torch/types.h>

#include "data/cifar10.h"

namespace actlab {

// The class-balanced subset of `size` images (0 = all), chosen by `seed`: the first
// size/10 images of each class in a seeded order (the remainder goes to the lowest labels), in
// split order, with their source_index. Throws Error when a class has too few images.
ImageSet balanced_subset(const ImageSet& set, int64_t size, uint64_t seed);

// How pixels become the network's input: (pixel - mean) / std, in 0..255 units. `mean` is float
// [1, 3, 1, 1] (per channel) or [1, 3, H, W] (a mean image); an undefined `std` divides by nothing.
struct PixelNormalisation {
  torch::Tensor mean;
  torch::Tensor std;
};

// The normalisation --input-preprocessing names, from the training images (uint8 [N, 3, H, W]):
// "standardise" = per-channel mean and standard deviation; "cuda_convnet" = the mean image (per
// pixel and channel) and no division, as cuda-convnet's CIFAR provider feeds its nets
// (dnouri/cuda-convnet convdata.py: data - data_mean, on the 0-255 scale). Throws Error for
// another name.
PixelNormalisation input_normalisation(const std::string& preprocessing,
                                       const torch::Tensor& images);

// A split living on the training device as one uint8 tensor, with per-channel normalisation and
// augmentation done there too: no host round trip per batch.
class DeviceImages {
 public:
  // `mean`/`std` are per-channel statistics in [0, 1] units (from the training split).
  DeviceImages(const ImageSet& set, torch::Device device, torch::Tensor mean, torch::Tensor std);
  DeviceImages(const ImageSet& set, torch::Device device, const PixelNormalisation& normalisation);

  int64_t size() const { return labels_.size(0); }
  const torch::Tensor& labels() const { return labels_; }
  // int64 [N] on the CPU: each image's position in its split (ImageSet::source_index).
  const torch::Tensor& source_index() const { return source_index_; }
  // float on the CPU, 0..255 units: batch() returns (pixel - pixel_mean) / pixel_std. The mean is
  // [3] per channel, or [3, H, W] for a mean image; the std [3], or undefined (no division).
  torch::Tensor pixel_mean() const;
  torch::Tensor pixel_std() const;

  // Normalised float images [B, 3, 32, 32] for `indices` (int64, on the device); with `augment`,
  // a random 32x32 crop of the 4-pixel zero-padded image and a random horizontal flip each.
  torch::Tensor batch(const torch::Tensor& indices, bool augment) const;

 private:
  torch::Tensor images_;  // uint8 [N, 3, 32, 32]
  torch::Tensor labels_;  // int64 [N]
  torch::Tensor source_index_;
  torch::Tensor mean_;  // float [1, 3, 1, 1] or [1, 3, H, W], 0..255 units
  torch::Tensor std_;   // float [1, 3, 1, 1], or undefined
};

// Per-channel mean and standard deviation of uint8 images in [0, 1] units, each float [3].
std::pair<torch::Tensor, torch::Tensor> channel_statistics(const torch::Tensor& images);

// Random crop of zero-padded images + horizontal flip, uint8 in and out, on the images' device.
torch::Tensor augment_crop_flip(const torch::Tensor& images, int64_t padding = 4);

}  // namespace actlab
