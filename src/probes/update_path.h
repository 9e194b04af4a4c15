#pragma once

// The path each layer's feeding weight takes through training, step by step: how much of the
// distance travelled is net displacement, and whether consecutive updates point the same way.
// The zero-centring argument (LeCun et al. 1998, "Efficient BackProp"; CS231n) says that when
// every input to a unit has one sign, the unit's weight updates can only zig-zag towards their
// target: consecutive updates then turn against each other (a low mean cosine) and the path
// travelled is long for the distance covered (a low path efficiency).

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

class UpdatePath {
 public:
  // Starts every path at `weights` (undefined tensors: layers without a feeding weight).
  void start(const std::vector<torch::Tensor>& weights);
  // After an optimizer step: one more update per weight. No host sync.
  void add_step(const std::vector<torch::Tensor>& weights);
  // Layer i's fields (docs/records.md): weight_relative_change = |W - W0| / |W0|,
  // weight_path_efficiency = |W - W0| / (sum over steps of |dW|) (null before the first step),
  // weight_update_cosine = mean over the updates since the last end_period() of the cosine
  // between each and the update before it (null when there is none). Reads the sums back: one
  // sync per call.
  void write(size_t layer, nlohmann::json& record) const;
  // An epoch-end probe has written: the next cosine mean starts afresh.
  void end_period();

  void save(HookState& state) const;
  // Why `state` lacks what restore needs for `layers` layers; empty when it has it.
  static std::string check(const HookState& state, size_t layers);
  void restore(const HookState& state, size_t layers, const torch::Device& device);

 private:
  std::vector<torch::Tensor> initial_, previous_, last_update_;
  torch::Tensor path_length_;  // [layers] float64, sum of |dW|
  torch::Tensor cosine_sum_;   // [layers] float64, since end_period()
  int64_t steps_ = 0, cosine_samples_ = 0;
};

}  // namespace actlab
