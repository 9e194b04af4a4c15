#include "src/train/device_data.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/error.h"
#include "src/core/random.h"

namespace actlab {

ImageSet balanced_subset(const ImageSet& set, int64_t size, uint64_t seed) {
  if (size == 0 || size >= set.size()) return set;
  const int64_t classes = set.labels.max().item<int64_t>() + 1;
  std::vector<int64_t> wanted(classes, size / classes);
  for (int64_t c = 0; c < size % classes; ++c) ++wanted[c];
  const auto labels = set.labels.contiguous();
  const auto* label = labels.data_ptr<int64_t>();
  std::vector<int64_t> chosen;
  for (int64_t index : seeded_permutation(set.size(), seed)) {
    if (wanted[label[index]] > 0) {
      --wanted[label[index]];
      chosen.push_back(index);
    }
  }
  for (int64_t c = 0; c < classes; ++c) {
    if (wanted[c] > 0) {
      throw Error(
          fmt::format("a balanced subset of {} needs more images of class {} than the split "
                      "has: choose a smaller subset",
                      size, c));
    }
  }
  std::sort(chosen.begin(), chosen.end());
  const auto order = torch::tensor(chosen, torch::kInt64);
  const auto source = set.source_index.defined() ? set.source_index.index_select(0, order) : order;
  return {set.images.index_select(0, order), set.labels.index_select(0, order), source};
}

std::pair<torch::Tensor, torch::Tensor> channel_statistics(const torch::Tensor& images) {
  // In chunks: a float copy of all 50,000 images would cost 600 MB for two numbers per channel.
  auto sum = torch::zeros({3}, torch::kFloat64);
  auto sum_of_squares = torch::zeros({3}, torch::kFloat64);
  for (const auto& chunk : images.split(2048)) {
    const auto pixels = chunk.to(torch::kFloat64).div_(255.0);
    sum += pixels.sum({0, 2, 3});
    sum_of_squares += pixels.square().sum({0, 2, 3});
  }
  const double count = static_cast<double>(images.numel() / 3);
  const auto mean = sum / count;
  // Sample standard deviation, as torch.std computes it.
  const auto variance = (sum_of_squares - count * mean.square()) / (count - 1);
  return {mean.to(torch::kFloat32), variance.sqrt().to(torch::kFloat32)};
}

PixelNormalisation input_normalisation(const std::string& preprocessing,
                                       const torch::Tensor& images) {
  if (preprocessing == "standardise") {
    const auto [mean, std] = channel_statistics(images);
    return {(mean * 255.0).reshape({1, 3, 1, 1}), (std * 255.0).reshape({1, 3, 1, 1})};
  }
  if (preprocessing == "cuda_convnet") {
    auto sum = torch::zeros({1, images.size(1), images.size(2), images.size(3)}, torch::kFloat64);
    for (const auto& chunk : images.split(2048)) sum += chunk.to(torch::kFloat64).sum(0, true);
    return {(sum / static_cast<double>(std::max<int64_t>(1, images.size(0)))).to(torch::kFloat32),
            torch::Tensor()};
  }
  throw Error(fmt::format("unknown --input-preprocessing '{}': valid are standardise, cuda_convnet",
                          preprocessing));
}

DeviceImages::DeviceImages(const ImageSet& set, torch::Device device, torch::Tensor mean,
                           torch::Tensor std)
    : DeviceImages(set, device,
                   PixelNormalisation{(mean * 255.0).reshape({1, 3, 1, 1}),
                                      (std * 255.0).reshape({1, 3, 1, 1})}) {}

DeviceImages::DeviceImages(const ImageSet& set, torch::Device device,
                           const PixelNormalisation& normalisation)
    : images_(set.images.to(device).contiguous()),
      labels_(set.labels.to(device)),
      source_index_(set.source_index.defined() ? set.source_index.to(torch::kCPU)
                                               : torch::arange(set.size(), torch::kInt64)),
      mean_(normalisation.mean.to(device, torch::kFloat32)),
      std_(normalisation.std.defined() ? normalisation.std.to(device, torch::kFloat32)
                                       : torch::Tensor()) {}

torch::Tensor DeviceImages::pixel_mean() const {
  const auto mean = mean_.to(torch::kCPU);
  return mean.size(2) == 1 && mean.size(3) == 1 ? mean.flatten() : mean.squeeze(0);
}

torch::Tensor DeviceImages::pixel_std() const {
  return std_.defined() ? std_.flatten().to(torch::kCPU) : torch::Tensor();
}

torch::Tensor augment_crop_flip(const torch::Tensor& images, int64_t padding) {
  namespace F = torch::nn::functional;
  const int64_t count = images.size(0);
  const int64_t height = images.size(2), width = images.size(3);
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(images.device());
  const auto padded =
      F::pad(images, F::PadFuncOptions({padding, padding, padding, padding}));  // zeros
  // One gather picks every image's crop: row/column indices are offset + 0..31 per image.
  const auto top = torch::randint(0, 2 * padding + 1, {count, 1, 1, 1}, options);
  const auto left = torch::randint(0, 2 * padding + 1, {count, 1, 1, 1}, options);
  const auto rows = top + torch::arange(height, options).view({1, 1, height, 1});
  const auto cols = left + torch::arange(width, options).view({1, 1, 1, width});
  const auto flip = torch::randint(0, 2, {count, 1, 1, 1}, options).to(torch::kBool);
  const auto flipped_cols = torch::where(
      flip, left + (width - 1) - torch::arange(width, options).view({1, 1, 1, width}), cols);
  const auto channels = torch::arange(images.size(1), options).view({1, -1, 1, 1});
  const auto batch = torch::arange(count, options).view({-1, 1, 1, 1});
  return padded.index({batch, channels, rows, flipped_cols});
}

torch::Tensor DeviceImages::batch(const torch::Tensor& indices, bool augment) const {
  auto images = images_.index_select(0, indices);
  if (augment) images = augment_crop_flip(images);
  const auto centred = images.to(torch::kFloat32) - mean_;
  return std_.defined() ? centred / std_ : centred;
}

}  // namespace actlab
