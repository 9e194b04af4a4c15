#include "src/train/evaluation.h"

#include <torch/torch.h>

#include "src/core/compat.h"
#include "src/core/random.h"

namespace actlab {

namespace {

ImageSet read_subset(const TrainConfig& config, const std::string& split, int64_t subset) {
  return balanced_subset(read_cifar10_split(config.data_dir, split), subset, config.subset_seed);
}

}  // namespace

TrainingData::TrainingData(const TrainConfig& config, torch::Device device)
    : TrainingData(config, device, read_subset(config, "train", config.train_subset)) {}

TrainingData::TrainingData(const TrainConfig& config, torch::Device device, const ImageSet& train)
    : TrainingData(config, device, train,
                   input_normalisation(config.input_preprocessing, train.images)) {}

// The test images are normalised with the training images' statistics.
TrainingData::TrainingData(const TrainConfig& config, torch::Device device, const ImageSet& train,
                           const PixelNormalisation& normalisation)
    : train_images(train, device, normalisation),
      test_images(read_subset(config, "test", config.test_subset), device, normalisation) {
  const int64_t train_eval_count = config.train_eval_images == 0
                                       ? train_images.size()
                                       : std::min(config.train_eval_images, train_images.size());
  train_eval_indices =
      torch::tensor(seeded_permutation(train_images.size(), config.subset_seed), torch::kInt64)
          .slice(0, 0, train_eval_count)
          .to(device);
  test_indices =
      torch::arange(test_images.size(), torch::TensorOptions().dtype(torch::kInt64).device(device));
}

Evaluation evaluate(NetworkImpl& model, const DeviceImages& images, const torch::Tensor& indices,
                    bool bf16) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  auto loss_sum =
      torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(indices.device()));
  auto wrong = torch::zeros_like(loss_sum);
  constexpr int64_t kEvalBatch = 1000;
  for (int64_t begin = 0; begin < indices.size(0); begin += kEvalBatch) {
    const auto batch = indices.slice(0, begin, begin + kEvalBatch);
    const auto labels = images.labels().index_select(0, batch);
    const auto logits = [&] {
      compat::AutocastScope autocast(indices.device().type(), bf16);
      return model.forward(images.batch(batch, /*augment=*/false)).to(torch::kFloat32);
    }();
    loss_sum +=
        torch::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum).to(torch::kFloat64);
    wrong += logits.argmax(1).ne(labels).sum().to(torch::kFloat64);
  }
  model.train(was_training);
  const auto count = static_cast<double>(indices.size(0));
  return {loss_sum.item<double>() / count, wrong.item<double>() / count};
}

}  // namespace actlab
