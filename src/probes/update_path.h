#pragma once

// The path a set of weights takes through training, step by step: how far each has moved from
// where it started, how much of the distance travelled is net displacement, and whether
// consecutive updates point the same way. The zero-centring argument (LeCun et al. 1998,
// "Efficient BackProp"; CS231n) is about the weights that take a layer's outputs as inputs:
// when every input has one sign, their updates can only zig-zag towards their target, so
// consecutive updates turn against each other (a low mean cosine) and the path travelled is long
// for the distance covered (a low path efficiency).

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

class UpdatePath {
 public:
  // `name` prefixes the record fields (NAME_relative_change, ...) and the checkpoint keys.
  explicit UpdatePath(std::string name) : name_(std::move(name)) {}

  // Starts every path at `weights` (undefined tensors: layers without such a weight).
  void start(const std::vector<torch::Tensor>& weights, const torch::Device& device);
  // After an optimizer step: one more update per weight. No host sync.
  void add_step(const std::vector<torch::Tensor>& weights);
  // Layer i's fields (docs/records.md): NAME_relative_change = |W - W0| / |W0|,
  // NAME_path_efficiency = |W - W0| / (sum over steps of |dW|) (null before the first step),
  // NAME_update_cosine = mean over the updates since the last end_period() of the cosine
  // between each and the update before it (null when there is none). None for a layer without
  // the weight. Reads the sums back: one sync per call.
  void write(size_t layer, nlohmann::json& record) const;
  // An epoch-end probe has written: the next cosine mean starts afresh.
  void end_period();

  void save(HookState& state) const;
  // Why `state` lacks what restore needs for these weights (undefined: no such weight); empty
  // when it has it.
  std::string check(const HookState& state, const std::vector<torch::Tensor>& weights) const;
  void restore(const HookState& state, size_t layers, const torch::Device& device);

 private:
  std::string key(const char* part, size_t layer) const;

  std::string name_;
  std::vector<torch::Tensor> initial_, previous_, last_update_;
  torch::Tensor path_length_;  // [layers] float64, sum of |dW|
  torch::Tensor cosine_sum_;   // [layers] float64, since end_period()
  int64_t steps_ = 0, cosine_samples_ = 0;
};

}  // namespace actlab
