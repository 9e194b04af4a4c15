#include "src/probes/probe_hook.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

#include "src/core/files.h"
#include "src/core/random.h"
#include "src/probes/gradient_norms.h"
#include "src/records/run_folder.h"
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

const std::vector<std::string>& probe_hook_fields() {
  static const std::vector<std::string> fields = {"train_weight_grad_norm",
                                                  "train_update_ratio",
                                                  "epochs_trained",
                                                  "weight_relative_change",
                                                  "weight_path_efficiency",
                                                  "weight_update_cosine",
                                                  "consumer_weight_relative_change",
                                                  "consumer_weight_path_efficiency",
                                                  "consumer_weight_update_cosine"};
  return fields;
}

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
  feeding_path_.start(feeding_weights(layers_), context.device);
  consumer_path_.start(consumer_weights(layers_), context.device);
  per_step_.clear();
  layer_lines_.clear();
  histogram_lines_.clear();
  gradient_lines_.clear();
}

std::vector<torch::Tensor> ProbeHook::feeding_weights(const std::vector<ProbedLayer>& layers) {
  std::vector<torch::Tensor> weights;
  for (const auto& layer : layers) weights.push_back(layer.feeding_weight);
  return weights;
}

std::vector<torch::Tensor> ProbeHook::consumer_weights(const std::vector<ProbedLayer>& layers) {
  std::vector<torch::Tensor> weights;
  for (const auto& layer : layers) weights.push_back(layer.consumer_weight);
  return weights;
}

void ProbeHook::write_probe_images(const TrainingContext& context, const torch::Tensor& indices) {
  // Enough to rebuild the probe batch bit for bit from the split's files (docs/records.md).
  const auto source = context.train_images.source_index().index_select(0, indices.to(torch::kCPU));
  const auto as_vector = [](const torch::Tensor& t) {
    const auto cpu = t.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
  };
  nlohmann::json record = {
      {"split", "train"},
      {"data_dir", context.config.data_dir},
      {"count", source.size(0)},
      {"indices", std::vector<int64_t>(source.data_ptr<int64_t>(),
                                       source.data_ptr<int64_t>() + source.numel())},
      {"input_preprocessing", context.config.input_preprocessing},
      {"chunk_size", settings_.chunk_size},
      {"same_sign_images", std::min(settings_.same_sign_images, source.size(0))}};
  const auto std = context.train_images.pixel_std();
  if (std.defined()) {
    record["pixel_mean"] = as_vector(context.train_images.pixel_mean());
    record["pixel_std"] = as_vector(std);
  } else {
    // cuda_convnet: a mean image and no division. The per-channel fields are null, so that a
    // reader that knows only them fails instead of rebuilding other images.
    record["pixel_mean"] = nullptr;
    record["pixel_std"] = nullptr;
    record["pixel_mean_image"] = as_vector(context.train_images.pixel_mean());
  }
  write_file_atomic(dir_ / "probe_images.json", record.dump() + "\n");  // 1,000 indices: one line
}

void ProbeHook::after_backward(const TrainingContext& context, const torch::Tensor&) {
  ScopedTimer timer(step_seconds_);
  torch::NoGradGuard no_grad;
  // Squared norms from the gradients this step already computed (before any clipping). On CUDA
  // one multi-tensor kernel, and nothing is read back here: per-step records wait on the device
  // until the next write (see flush_per_step_records).
  const auto squared = squared_gradient_norms(parameters_, /*fused=*/context.device.is_cuda());
  const auto global = squared.sum().sqrt();
  const auto norms = squared.index_select(0, feeding_index_).sqrt();
  if (context.config.probe_per_step) {
    per_step_.push_back(
        {context.epoch, context.step + 1, torch::cat({global.unsqueeze(0), norms})});
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
  {
    ScopedTimer timer(step_seconds_);
    feeding_path_.add_step(feeding_weights(layers_));
    consumer_path_.add_step(consumer_weights(layers_));
  }
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
      feeding_path_.write(i, record);
      consumer_path_.write(i, record);
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
      feeding_path_.end_period();
      consumer_path_.end_period();
    }
    write_files();
  }
  // Outside the probe's timer: each sink times its own writing.
  for (auto* sink : sinks_) sink->write_probe(context.step, last_records_, last_histograms_);
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

void ProbeHook::save_state(HookState& state) {
  flush_per_step_records();  // rows still on the device become records the checkpoint keeps
  state.values = {{"layer_lines", layer_lines_},
                  {"histogram_lines", histogram_lines_},
                  {"gradient_lines", gradient_lines_},
                  {"steps_seen", steps_seen_},
                  {"update_ratio_samples", update_ratio_samples_},
                  {"probes_run", probes_run_}};
  state.tensors = {{"layer_grad_norm_sum", layer_grad_norm_sum_},
                   {"global_grad_norm_sum", global_grad_norm_sum_},
                   {"global_grad_norm_max", global_grad_norm_max_},
                   {"update_ratio_sum", update_ratio_sum_}};
  for (const auto& [name, tensor] : memory_) state.tensors["memory/" + name] = tensor;
  feeding_path_.save(state);
  consumer_path_.save(state);
}

std::string ProbeHook::check_state(const TrainingContext& context, const HookState& state) const {
  const auto& v = state.values;
  for (const char* name : {"layer_lines", "histogram_lines", "gradient_lines"}) {
    if (!v.contains(name) || !v[name].is_string()) return fmt::format("its probes lack {}", name);
  }
  for (const char* name : {"steps_seen", "update_ratio_samples", "probes_run"}) {
    if (!v.contains(name) || !v[name].is_number_integer())
      return fmt::format("its probes lack {}", name);
  }
  const auto layers = bind_layers(*context.model);  // asked before on_start binds them
  const auto problem = feeding_path_.check(state, feeding_weights(layers));
  return problem.empty() ? consumer_path_.check(state, consumer_weights(layers)) : problem;
}

void ProbeHook::restore_state(const TrainingContext& context, const HookState& state) {
  layer_lines_ = state.values.at("layer_lines").get<std::string>();
  histogram_lines_ = state.values.at("histogram_lines").get<std::string>();
  gradient_lines_ = state.values.at("gradient_lines").get<std::string>();
  steps_seen_ = state.values.at("steps_seen").get<int64_t>();
  update_ratio_samples_ = state.values.at("update_ratio_samples").get<int64_t>();
  probes_run_ = state.values.at("probes_run").get<int64_t>();
  auto tensor = [&](const std::string& name) {
    const auto found = state.tensors.find(name);
    return found == state.tensors.end() ? torch::Tensor() : found->second;
  };
  layer_grad_norm_sum_ = tensor("layer_grad_norm_sum");
  global_grad_norm_sum_ = tensor("global_grad_norm_sum");
  global_grad_norm_max_ = tensor("global_grad_norm_max");
  update_ratio_sum_ = tensor("update_ratio_sum");
  const std::string prefix = "memory/";
  memory_.clear();
  for (const auto& [name, value] : state.tensors) {
    if (name.rfind(prefix, 0) == 0) memory_[name.substr(prefix.size())] = value;
  }
  feeding_path_.restore(state, layers_.size(), context.device);
  consumer_path_.restore(state, layers_.size(), context.device);
  write_files();  // drops records written after the checkpoint
}

void ProbeHook::flush_per_step_records() {
  if (per_step_.empty()) return;
  std::vector<torch::Tensor> rows;
  for (const auto& pending : per_step_) rows.push_back(pending.global_then_layers);
  const auto values = torch::stack(rows).to(torch::kCPU, torch::kFloat64);  // the one sync
  const auto table = values.accessor<double, 2>();
  for (size_t row = 0; row < per_step_.size(); ++row) {
    const auto line = table[static_cast<int64_t>(row)];
    std::vector<double> layer_norms(line.size(0) - 1);
    for (int64_t i = 1; i < line.size(0); ++i) layer_norms[i - 1] = line[i];
    nlohmann::json record = {{"epoch", per_step_[row].epoch},
                             {"step", per_step_[row].step},
                             {"global_grad_norm", line[0]},
                             {"layer_grad_norms", layer_norms}};
    gradient_lines_ += record.dump() + "\n";
  }
  per_step_.clear();
}

void ProbeHook::write_files() {
  flush_per_step_records();
  write_file_atomic(dir_ / record_file::kLayers, layer_lines_);
  write_file_atomic(dir_ / record_file::kGradients, gradient_lines_);
  if (settings_.level == ProbeLevel::kFull)
    write_file_atomic(dir_ / record_file::kHistograms, histogram_lines_);
}

}  // namespace actlab
