#include "src/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <csignal>

#include "src/core/compat.h"
#include "src/core/error.h"
#include "src/core/random.h"
#include "src/train/device_data.h"
#include "src/train/evaluation_schedule.h"
#include "src/train/gradient_clip.h"
#include "src/train/optimizer.h"

namespace actlab {

namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void handle_interrupt(int signal_number) {
  g_stop_requested = true;
  std::signal(signal_number, SIG_DFL);
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Evaluation {
  double loss = 0;
  double error = 0;
};

// Loss and error of the model in eval mode over `indices` of `images` (no augmentation).
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
    compat::set_cuda_autocast(bf16, torch::kBFloat16);
    const auto logits = model.forward(images.batch(batch, /*augment=*/false)).to(torch::kFloat32);
    compat::set_cuda_autocast(false, torch::kBFloat16);
    loss_sum +=
        torch::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum).to(torch::kFloat64);
    wrong += logits.argmax(1).ne(labels).sum().to(torch::kFloat64);
  }
  model.train(was_training);
  const auto count = static_cast<double>(indices.size(0));
  return {loss_sum.item<double>() / count, wrong.item<double>() / count};
}

}  // namespace

void request_stop() {
  g_stop_requested = true;
}
bool stop_requested() {
  return g_stop_requested;
}
void clear_stop_request() {
  g_stop_requested = false;
}

void install_interrupt_handler() {
  std::signal(SIGINT, handle_interrupt);
  std::signal(SIGTERM, handle_interrupt);
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  std::optional<torch::Device> device;
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw Error(fmt::format("unknown --device '{}': valid are auto, cpu, cuda, cuda:N", name));
  }
  if (device->is_cuda() && !torch::cuda::is_available()) {
    throw Error(
        fmt::format("--device {} asked for, but this LibTorch sees no CUDA device: use "
                    "--device cpu, or build against a CUDA LibTorch (see README, GPU)",
                    name));
  }
  if (!device->is_cuda() && !device->is_cpu()) {
    throw Error(fmt::format("--device '{}' is not supported: use cpu or cuda", name));
  }
  return *device;
}

RunSummary train(const TrainConfig& config, const std::vector<TrainingHook*>& hooks) {
  const auto start = Clock::now();
  const torch::Device device = resolve_device(config.device);
  if (config.bf16 && !device.is_cuda()) {
    throw Error("--bf16 autocast needs a CUDA device: drop --bf16 or use --device cuda");
  }
  at::set_num_threads(config.threads);
  torch::manual_seed(config.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(config.seed);

  const ImageSet train_set = balanced_subset(read_cifar10_split(config.data_dir, "train"),
                                             config.train_subset, config.subset_seed);
  const ImageSet test_set = balanced_subset(read_cifar10_split(config.data_dir, "test"),
                                            config.test_subset, config.subset_seed);
  const auto [mean, std] = channel_statistics(train_set.images);
  const DeviceImages train_images(train_set, device, mean, std);
  const DeviceImages test_images(test_set, device, mean, std);

  const auto index_options = torch::TensorOptions().dtype(torch::kInt64).device(device);
  const int64_t train_eval_count = config.train_eval_images == 0
                                       ? train_images.size()
                                       : std::min(config.train_eval_images, train_images.size());
  // A fixed sample of the training set for the per-epoch training error (same images each time).
  const auto train_eval_indices =
      torch::tensor(seeded_permutation(train_images.size(), config.subset_seed), torch::kInt64)
          .slice(0, 0, train_eval_count)
          .to(device);
  const auto test_indices = torch::arange(test_images.size(), index_options);

  Network model = build_model(config.model, config.model_options);
  model->to(device);
  auto optimizer = make_optimizer(config, model->parameters());

  const int64_t batch_size = std::min(config.batch_size, train_images.size());
  // The last partial batch is dropped: a 1-image batch breaks batch norm.
  const int64_t steps_per_epoch = train_images.size() / batch_size;

  TrainingContext context{config, model, *optimizer, device, train_images, test_images};
  context.steps_per_epoch = steps_per_epoch;
  RunSummary summary;
  for (auto* hook : hooks) hook->on_start(context);

  auto record_evaluation = [&](EpochMetrics& metrics) {
    const Evaluation on_train = evaluate(*model, train_images, train_eval_indices, config.bf16);
    const Evaluation on_test = evaluate(*model, test_images, test_indices, config.bf16);
    metrics.epoch = context.epoch;
    metrics.step = context.step;
    metrics.train_loss = on_train.loss;
    metrics.train_error = on_train.error;
    metrics.test_loss = on_test.loss;
    metrics.test_error = on_test.error;
    metrics.seconds = seconds_since(start);
    if (metrics.epoch_end) {
      metrics.position = context.epoch;
      summary.final_test_error = on_test.error;
      summary.final_train_error = on_train.error;
      if (on_test.error < summary.best_test_error || context.epoch == 0) {
        summary.best_test_error = on_test.error;
        summary.best_epoch = context.epoch;
      }
    }
    for (auto* hook : hooks) hook->on_evaluation(context, metrics);
  };

  EpochMetrics initial;
  initial.lr = learning_rate_at(config, 0);
  record_evaluation(initial);

  int64_t images_seen = 0;
  for (int epoch = 1; epoch <= config.epochs && summary.status == "running"; ++epoch) {
    context.epoch = epoch;
    model->train();
    const auto epoch_start = Clock::now();
    const auto order = torch::randperm(train_images.size(), index_options);
    auto loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
    auto wrong = torch::zeros_like(loss_sum);
    int64_t epoch_images = 0, clipped = 0;
    GradientClipper clipper(config.clip_norm);  // counts clipped steps on the device
    double evaluation_seconds = 0;  // inside the epoch (--evals-per-epoch), not training time
    double lr = config.lr;
    for (int64_t batch = 0; batch < steps_per_epoch; ++batch) {
      if (stop_requested()) {
        summary.status = "interrupted";
        summary.message =
            fmt::format("interrupted during epoch {} at step {}", epoch, context.step);
        break;
      }
      lr = learning_rate_at(config, epoch - 1 + static_cast<double>(batch) / steps_per_epoch);
      set_learning_rate(*optimizer, lr);
      const auto indices = order.slice(0, batch * batch_size, (batch + 1) * batch_size);
      const auto labels = train_images.labels().index_select(0, indices);
      const auto inputs = train_images.batch(indices, config.augment);

      optimizer->zero_grad();
      compat::set_cuda_autocast(config.bf16, torch::kBFloat16);
      const auto logits = model->forward(inputs).to(torch::kFloat32);
      compat::set_cuda_autocast(false, torch::kBFloat16);
      const auto loss = torch::cross_entropy_loss(logits, labels);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        summary.status = "diverged";
        summary.diverged_step = context.step + 1;
        summary.message =
            fmt::format("loss became {} at step {} (epoch {}): lower --lr or set --clip-norm",
                        loss_value, context.step + 1, epoch);
        break;
      }
      loss.backward();
      for (auto* hook : hooks) hook->after_backward(context, loss);
      if (config.clip_norm > 0) clipper.clip(model->parameters());  // no host sync
      optimizer->step();
      ++context.step;
      for (auto* hook : hooks) hook->after_step(context);
      epoch_images += indices.size(0);
      loss_sum += loss.detach().to(torch::kFloat64) * indices.size(0);
      wrong += logits.detach().argmax(1).ne(labels).sum().to(torch::kFloat64);
      if (evaluates_mid_epoch(batch + 1, steps_per_epoch, config.evals_per_epoch)) {
        const auto evaluation_start = Clock::now();
        EpochMetrics inside;
        inside.epoch_end = false;
        inside.position = epoch - 1 + static_cast<double>(batch + 1) / steps_per_epoch;
        inside.images_seen = images_seen + epoch_images;
        inside.lr = lr;
        record_evaluation(inside);  // evaluate() puts the model back in training mode
        evaluation_seconds += seconds_since(evaluation_start);
      }
    }
    compat::synchronize_cuda();
    clipped = clipper.take_clipped_steps();
    const double train_seconds = seconds_since(epoch_start) - evaluation_seconds;
    images_seen += epoch_images;
    summary.clipped_steps += clipped;
    if (summary.status != "running") break;

    EpochMetrics metrics;
    metrics.images_seen = images_seen;
    metrics.train_loss_running = loss_sum.item<double>() / std::max<int64_t>(1, epoch_images);
    metrics.train_error_running = wrong.item<double>() / std::max<int64_t>(1, epoch_images);
    metrics.lr = lr;
    metrics.images_per_second = epoch_images / std::max(1e-9, train_seconds);
    metrics.clipped_steps = clipped;
    record_evaluation(metrics);
    summary.epochs_completed = epoch;
    if (!std::isfinite(metrics.test_loss)) {
      summary.status = "diverged";
      summary.diverged_step = context.step;
      summary.message =
          fmt::format("test loss became {} after epoch {}: lower --lr or set --clip-norm",
                      metrics.test_loss, epoch);
    }
  }
  if (summary.status == "running") summary.status = "completed";
  summary.steps = context.step;
  summary.total_seconds = seconds_since(start);
  for (auto* hook : hooks) hook->on_finish(context, summary);
  return summary;
}

}  // namespace actlab
