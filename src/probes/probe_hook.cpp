#include "src/probes/probe_hook.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

#include "src/core/files.h"
#include "src/core/random.h"
#include "src/train/device_data.h"

namespace actlab {

namespace {

// Times a scope into a running total.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

// Probe images differ from the train-error sample but, like it, depend on subset_seed only, so
// runs with different training seeds are probed on the same images.
constexpr uint64_t kProbeSeedOffset = 0x9e3779b97f4a7c15ULL;

}  // namespace

ProbeHook::ProbeHook(std::filesystem::path dir, std::FILE* progress)
    : dir_(std::move(dir)), progress_(progress) {}

void ProbeHook::on_start(const TrainingContext& context) {
  const TrainConfig& config = context.config;
  settings_.level = parse_probe_level(config.probe);
  settings_.same_sign_images = config.probe_same_sign_images;
  layers_ = bind_layers(*context.model);
  parameters_ = context.model->parameters();
  std::vector<int64_t> feeding_index;
  for (const auto& layer : layers_) {
    size_t k = 0;
    while (k < parameters_.size() && !parameters_[k].is_same(layer.feeding_weight)) ++k;
    feeding_index.push_back(static_cast<int64_t>(k));
  }
  feeding_index_ = torch::tensor(feeding_index, torch::kInt64).to(context.device);
  const int64_t count = std::min(config.probe_images, context.train_images.size());
  const auto indices = torch::tensor(seeded_permutation(context.train_images.size(),
                                                        config.subset_seed + kProbeSeedOffset),
                                     torch::kInt64)
                           .slice(0, 0, count)
                           .to(context.device);
  probe_images_ = context.train_images.batch(indices, /*augment=*/false);
  probe_labels_ = context.train_images.labels().index_select(0, indices);
  write_probe_images(context, indices);
  memory_.clear();
  layer_lines_.clear();
  histogram_lines_.clear();
  gradient_lines_.clear();
}

void ProbeHook::write_probe_images(const TrainingContext& context, const torch::Tensor& indices) {
  // Enough to rebuild the probe batch bit for bit from the split's files (docs/records.md).
  const auto source = context.train_images.source_index().index_select(0, indices.to(torch::kCPU));
  const auto as_vector = [](const torch::Tensor& t) {
    const auto cpu = t.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
  };
  const nlohmann::json record = {
      {"split", "train"},
      {"data_dir", context.config.data_dir},
      {"count", source.size(0)},
      {"indices", std::vector<int64_t>(source.data_ptr<int64_t>(),
                                       source.data_ptr<int64_t>() + source.numel())},
      {"pixel_mean", as_vector(context.train_images.pixel_mean())},
      {"pixel_std", as_vector(context.train_images.pixel_std())},
      {"chunk_size", settings_.chunk_size},
      {"same_sign_images", std::min(settings_.same_sign_images, source.size(0))}};
  write_file_atomic(dir_ / "probe_images.json", record.dump() + "\n");  // 1,000 indices: one line
}

void ProbeHook::after_backward(const TrainingContext& context, const torch::Tensor&) {
  ScopedTimer timer(step_seconds_);
  torch::NoGradGuard no_grad;
  // Squared norms from the gradients this step already computed (before any clipping).
  const auto zero = torch::zeros({}, feeding_index_.options().dtype(torch::kFloat32));
  std::vector<torch::Tensor> squares;
  for (const auto& p : parameters_) {
    squares.push_back(p.grad().defined() ? p.grad().square().sum().to(torch::kFloat32) : zero);
  }
  squares.push_back(zero);  // the slot of layers without a feeding weight
  const auto squared = torch::stack(squares);
  const auto global = squared.sum().sqrt();
  const auto norms = squared.index_select(0, feeding_index_).sqrt();
  if (context.config.probe_per_step) {
    std::vector<double> values(norms.size(0));
    const auto cpu = norms.to(torch::kCPU, torch::kFloat64);
    for (int64_t i = 0; i < norms.size(0); ++i) values[i] = cpu[i].item<double>();
    nlohmann::json record = {{"epoch", context.epoch},
                             {"step", context.step + 1},
                             {"global_grad_norm", global.item<double>()},
                             {"layer_grad_norms", values}};
    gradient_lines_ += record.dump() + "\n";
  }

  // Full level: remember the weights before the epoch's first step and every N-th after it,
  // for ||dW|| / ||W|| (so even short epochs get a sample).
  const int64_t every = context.config.probe_update_ratio_every;
  if (settings_.level == ProbeLevel::kFull && steps_seen_ % every == 0) {
    weights_before_step_.clear();
    for (const auto& layer : layers_) {
      weights_before_step_.push_back(
          layer.feeding_weight.defined() ? layer.feeding_weight.detach().clone() : torch::Tensor());
    }
  }
  layer_grad_norm_sum_ = layer_grad_norm_sum_.defined() ? layer_grad_norm_sum_ + norms : norms;
  global_grad_norm_sum_ = global_grad_norm_sum_.defined() ? global_grad_norm_sum_ + global : global;
  global_grad_norm_max_ =
      global_grad_norm_max_.defined() ? torch::maximum(global_grad_norm_max_, global) : global;
  ++steps_seen_;
}

void ProbeHook::after_step(const TrainingContext& context) {
  if (!weights_before_step_.empty()) {
    ScopedTimer timer(step_seconds_);
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> ratios;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const auto& before = weights_before_step_[i];
      ratios.push_back(before.defined()
                           ? (layers_[i].feeding_weight - before).norm() / before.norm()
                           : torch::zeros({}, torch::TensorOptions().device(context.device)));
    }
    const auto stacked = torch::stack(ratios);
    update_ratio_sum_ = update_ratio_sum_.defined() ? update_ratio_sum_ + stacked : stacked;
    ++update_ratio_samples_;
    weights_before_step_.clear();
  }
  const int64_t every = context.config.probe_every_steps;
  if (every > 0 && context.step % every == 0) probe(context, context.epoch, /*epoch_end=*/false);
}

void ProbeHook::on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) {
  if (!metrics.epoch_end) return;  // --evals-per-epoch: probes stay at epoch ends
  probe(context, metrics.epoch, /*epoch_end=*/true);
}

void ProbeHook::probe(const TrainingContext& context, int epoch, bool epoch_end) {
  {
    ScopedTimer timer(probe_seconds_);
    ++probes_run_;
    last_records_ = probe_layers(*context.model, probe_images_, probe_labels_, settings_, &memory_);
    last_histograms_.clear();
    std::vector<double> grad_means, ratio_means;
    if (epoch_end && steps_seen_ > 0) {
      const auto sums = layer_grad_norm_sum_.to(torch::kCPU, torch::kFloat64);
      for (size_t i = 0; i < layers_.size(); ++i)
        grad_means.push_back(sums[i].item<double>() / steps_seen_);
      if (update_ratio_samples_ > 0) {
        const auto ratios = update_ratio_sum_.to(torch::kCPU, torch::kFloat64);
        for (size_t i = 0; i < layers_.size(); ++i) {
          ratio_means.push_back(ratios[i].item<double>() / update_ratio_samples_);
        }
      }
      if (!context.config.probe_per_step) {
        nlohmann::json record = {
            {"epoch", epoch},
            {"step", context.step},
            {"steps", steps_seen_},
            {"global_grad_norm_mean", global_grad_norm_sum_.item<double>() / steps_seen_},
            {"global_grad_norm_max", global_grad_norm_max_.item<double>()},
            {"layer_grad_norm_means", grad_means}};
        gradient_lines_ += record.dump() + "\n";
      }
    }
    for (size_t i = 0; i < last_records_.size(); ++i) {
      auto& record = last_records_[i];
      // A K-step probe at an epoch's last step and the evaluation after it share epoch and step:
      // the trigger tells them apart; epochs_trained places K-step probes inside the epoch.
      record["epoch"] = epoch;
      record["step"] = context.step;
      record["epochs_trained"] =
          context.steps_per_epoch > 0
              ? static_cast<double>(context.step) / static_cast<double>(context.steps_per_epoch)
              : static_cast<double>(epoch);
      record["trigger"] = epoch_end ? "evaluation" : "every_steps";
      record["train_weight_grad_norm"] =
          grad_means.empty() ? nlohmann::json(nullptr) : nlohmann::json(grad_means[i]);
      if (settings_.level == ProbeLevel::kFull) {
        record["train_update_ratio"] =
            ratio_means.empty() ? nlohmann::json(nullptr) : nlohmann::json(ratio_means[i]);
      }
      if (record.contains("histogram")) {
        // A non-finite layer has no histogram (null): no line.
        if (record["histogram"].is_object()) {
          nlohmann::json histogram = {{"epoch", epoch},
                                      {"step", context.step},
                                      {"epochs_trained", record["epochs_trained"]},
                                      {"trigger", record["trigger"]},
                                      {"layer", record["layer"]},
                                      {"index", record["index"]}};
          histogram.update(record["histogram"]);
          histogram_lines_ += histogram.dump() + "\n";
          last_histograms_.push_back(std::move(histogram));
        }
        record.erase("histogram");
      }
      layer_lines_ += record.dump() + "\n";
    }
    if (epoch_end) {
      layer_grad_norm_sum_ = global_grad_norm_sum_ = global_grad_norm_max_ = update_ratio_sum_ =
          torch::Tensor();
      steps_seen_ = update_ratio_samples_ = 0;
    }
    write_files();
  }
  if (epoch_end && !last_records_.empty()) {
    int64_t non_finite = 0;
    for (const auto& record : last_records_) non_finite += !record["finite"].get<bool>();
    if (non_finite > 0) {
      fmt::print(progress_, "        probes: {} of {} layers non-finite (NaN/inf)\n", non_finite,
                 last_records_.size());
      std::fflush(progress_);
      return;
    }
    const auto* deadest = &last_records_.front();
    for (const auto& record : last_records_) {
      if (record["dead_fraction"].get<double>() > (*deadest)["dead_fraction"].get<double>())
        deadest = &record;
    }
    const double first = last_records_.front()["grad_act_rms"].get<double>();
    const double last = last_records_.back()["grad_act_rms"].get<double>();
    fmt::print(progress_,
               "        probes: max dead_fraction {:.3f} ({})  grad_act_rms first/last {:.3g}\n",
               (*deadest)["dead_fraction"].get<double>(), (*deadest)["layer"].get<std::string>(),
               last > 0 ? first / last : 0.0);
    std::fflush(progress_);
  }
}

void ProbeHook::on_finish(const TrainingContext&, const RunSummary&) {
  write_files();
}

void ProbeHook::write_files() {
  write_file_atomic(dir_ / "layers.jsonl", layer_lines_);
  write_file_atomic(dir_ / "gradients.jsonl", gradient_lines_);
  if (settings_.level == ProbeLevel::kFull)
    write_file_atomic(dir_ / "histograms.jsonl", histogram_lines_);
}

}  // namespace actlab
