#include "src/probes/update_path.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace actlab {

namespace {

const char* const kKeys[] = {"initial", "previous", "last_update"};

nlohmann::json ratio_or_null(double numerator, double denominator) {
  if (!(denominator > 0)) return nullptr;
  const double value = numerator / denominator;
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

void UpdatePath::start(const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  initial_.clear();
  previous_.clear();
  last_update_.assign(weights.size(), torch::Tensor());
  for (const auto& weight : weights) {
    initial_.push_back(weight.defined() ? weight.detach().clone() : torch::Tensor());
    previous_.push_back(initial_.back());
  }
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const auto device = weights.empty() || !weights.front().defined() ? torch::Device(torch::kCPU)
                                                                    : weights.front().device();
  path_length_ = torch::zeros({static_cast<int64_t>(weights.size())}, options.device(device));
  cosine_sum_ = torch::zeros_like(path_length_);
  steps_ = cosine_samples_ = 0;
}

void UpdatePath::add_step(const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> lengths, cosines;
  const bool has_last = steps_ > 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!weights[i].defined()) {
      lengths.push_back(torch::zeros({}, path_length_.options()));
      cosines.push_back(torch::zeros({}, path_length_.options()));
      continue;
    }
    const auto update = (weights[i].detach() - previous_[i]).to(torch::kFloat64);
    const auto length = update.norm();
    lengths.push_back(length);
    if (has_last) {
      // 0 where either update is 0: a weight that did not move has no direction.
      const auto denominator = length * last_update_[i].norm();
      cosines.push_back(torch::where(denominator > 0,
                                     (update * last_update_[i]).sum() / denominator,
                                     torch::zeros_like(denominator)));
    }
    last_update_[i] = update;
    previous_[i] = weights[i].detach().clone();
  }
  path_length_ =
      path_length_ + torch::stack(lengths);  // never in place: a saved state may share it
  if (has_last && !cosines.empty()) {
    cosine_sum_ = cosine_sum_ + torch::stack(cosines);
    ++cosine_samples_;
  }
  ++steps_;
}

void UpdatePath::write(size_t layer, nlohmann::json& record) const {
  torch::NoGradGuard no_grad;
  if (layer >= initial_.size() || !initial_[layer].defined()) return;
  const auto now = previous_[layer].to(torch::kFloat64);
  const auto start = initial_[layer].to(torch::kFloat64);
  const double displacement = (now - start).norm().item<double>();
  record["weight_relative_change"] = ratio_or_null(displacement, start.norm().item<double>());
  record["weight_path_efficiency"] =
      steps_ > 0 ? ratio_or_null(displacement, path_length_[layer].item<double>())
                 : nlohmann::json(nullptr);
  record["weight_update_cosine"] =
      cosine_samples_ > 0 ? nlohmann::json(cosine_sum_[layer].item<double>() / cosine_samples_)
                          : nlohmann::json(nullptr);
}

void UpdatePath::end_period() {
  cosine_sum_ = torch::zeros_like(cosine_sum_);
  cosine_samples_ = 0;
}

void UpdatePath::save(HookState& state) const {
  for (size_t i = 0; i < initial_.size(); ++i) {
    const std::vector<const torch::Tensor*> tensors = {&initial_[i], &previous_[i],
                                                       &last_update_[i]};
    for (size_t k = 0; k < 3; ++k) {
      if (tensors[k]->defined())  // a layer without a weight, or no update yet
        state.tensors[fmt::format("path/{}/{}", kKeys[k], i)] = *tensors[k];
    }
  }
  state.tensors["path/length"] = path_length_;
  state.tensors["path/cosine_sum"] = cosine_sum_;
  state.values["path_steps"] = steps_;
  state.values["path_cosine_samples"] = cosine_samples_;
}

std::string UpdatePath::check(const HookState& state, size_t layers) {
  for (const char* name : {"path_steps", "path_cosine_samples"}) {
    if (!state.values.contains(name) || !state.values[name].is_number_integer())
      return fmt::format("its probes lack {} (a checkpoint from before the update path)", name);
  }
  for (const char* name : {"path/length", "path/cosine_sum"}) {
    const auto found = state.tensors.find(name);
    if (found == state.tensors.end() || found->second.numel() != static_cast<int64_t>(layers))
      return fmt::format("its probes lack {} for {} layers", name, layers);
  }
  return {};
}

void UpdatePath::restore(const HookState& state, size_t layers, const torch::Device& device) {
  const auto tensor = [&](const std::string& name) {
    const auto found = state.tensors.find(name);
    return found == state.tensors.end() || !found->second.defined() ? torch::Tensor()
                                                                    : found->second.to(device);
  };
  initial_.assign(layers, torch::Tensor());
  previous_.assign(layers, torch::Tensor());
  last_update_.assign(layers, torch::Tensor());
  for (size_t i = 0; i < layers; ++i) {
    initial_[i] = tensor(fmt::format("path/initial/{}", i));
    previous_[i] = tensor(fmt::format("path/previous/{}", i));
    last_update_[i] = tensor(fmt::format("path/last_update/{}", i));
  }
  path_length_ = tensor("path/length");
  cosine_sum_ = tensor("path/cosine_sum");
  steps_ = state.values.at("path_steps").get<int64_t>();
  cosine_samples_ = state.values.at("path_cosine_samples").get<int64_t>();
}

}  // namespace actlab
