#include "src/probes/update_path.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace actlab {

namespace {

nlohmann::json ratio_or_null(double numerator, double denominator) {
  if (!(denominator > 0)) return nullptr;
  const double value = numerator / denominator;
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

std::string UpdatePath::key(const char* part, size_t layer) const {
  return fmt::format("{}_path/{}/{}", name_, part, layer);
}

void UpdatePath::start(const std::vector<torch::Tensor>& weights, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  initial_.clear();
  previous_.clear();
  last_update_.assign(weights.size(), torch::Tensor());
  for (const auto& weight : weights) {
    initial_.push_back(weight.defined() ? weight.detach().clone() : torch::Tensor());
    previous_.push_back(initial_.back());
  }
  const auto options = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  path_length_ = torch::zeros({static_cast<int64_t>(weights.size())}, options);
  cosine_sum_ = torch::zeros_like(path_length_);
  steps_ = cosine_samples_ = 0;
}

void UpdatePath::add_step(const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> lengths, cosines;
  const bool has_last = steps_ > 0;
  const auto zero = torch::zeros({}, path_length_.options());
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!weights[i].defined()) {
      lengths.push_back(zero);
      cosines.push_back(zero);
      continue;
    }
    const auto update = (weights[i].detach() - previous_[i]).to(torch::kFloat64);
    const auto length = update.norm();
    lengths.push_back(length);
    if (has_last) {
      // 0 where either update is 0: a weight that did not move has no direction.
      const auto denominator = length * last_update_[i].norm();
      cosines.push_back(
          torch::where(denominator > 0, (update * last_update_[i]).sum() / denominator, zero));
    }
    last_update_[i] = update;
    previous_[i] = weights[i].detach().clone();
  }
  // Never in place: a saved state may share these tensors.
  path_length_ = path_length_ + torch::stack(lengths);
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
  record[name_ + "_relative_change"] = ratio_or_null(displacement, start.norm().item<double>());
  record[name_ + "_path_efficiency"] =
      steps_ > 0 ? ratio_or_null(displacement, path_length_[layer].item<double>())
                 : nlohmann::json(nullptr);
  record[name_ + "_update_cosine"] =
      cosine_samples_ > 0 ? nlohmann::json(cosine_sum_[layer].item<double>() / cosine_samples_)
                          : nlohmann::json(nullptr);
}

void UpdatePath::end_period() {
  cosine_sum_ = torch::zeros_like(cosine_sum_);
  cosine_samples_ = 0;
}

void UpdatePath::save(HookState& state) const {
  for (size_t i = 0; i < initial_.size(); ++i) {
    // Undefined: a layer without the weight, or no update yet; checkpoints leave them out.
    if (initial_[i].defined()) state.tensors[key("initial", i)] = initial_[i];
    if (previous_[i].defined()) state.tensors[key("previous", i)] = previous_[i];
    if (last_update_[i].defined()) state.tensors[key("last_update", i)] = last_update_[i];
  }
  state.tensors[name_ + "_path/length"] = path_length_;
  state.tensors[name_ + "_path/cosine_sum"] = cosine_sum_;
  state.values[name_ + "_path_steps"] = steps_;
  state.values[name_ + "_path_cosine_samples"] = cosine_samples_;
}

std::string UpdatePath::check(const HookState& state,
                              const std::vector<torch::Tensor>& weights) const {
  for (const auto& name : {name_ + "_path_steps", name_ + "_path_cosine_samples"}) {
    if (!state.values.contains(name) || !state.values[name].is_number_integer())
      return fmt::format("its probes lack {} (a checkpoint from before the update paths)", name);
  }
  for (const auto& name : {name_ + "_path/length", name_ + "_path/cosine_sum"}) {
    const auto found = state.tensors.find(name);
    if (found == state.tensors.end() ||
        found->second.numel() != static_cast<int64_t>(weights.size()))
      return fmt::format("its probes lack {} for {} layers", name, weights.size());
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!weights[i].defined()) continue;
    for (const char* part : {"initial", "previous"}) {
      const auto found = state.tensors.find(key(part, i));
      if (found == state.tensors.end() || !found->second.sizes().equals(weights[i].sizes()))
        return fmt::format("its probes lack {} shaped as the run's weight", key(part, i));
    }
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
    initial_[i] = tensor(key("initial", i));
    previous_[i] = tensor(key("previous", i));
    last_update_[i] = tensor(key("last_update", i));
  }
  path_length_ = tensor(name_ + "_path/length");
  cosine_sum_ = tensor(name_ + "_path/cosine_sum");
  steps_ = state.values.at(name_ + "_path_steps").get<int64_t>();
  cosine_samples_ = state.values.at(name_ + "_path_cosine_samples").get<int64_t>();
}

}  // namespace actlab
