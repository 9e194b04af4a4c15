#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "src/core/json_number.h"  // number_or_null, for the quantities' records
#include "src/core/registry.h"

namespace actlab {

// One chunk of probe images as an activation layer saw it.
struct ForwardChunk {
  torch::Tensor x;           // pre-activation, [N, C, H, W] or [N, F]
  torch::Tensor a;           // output f(x), same shape
  torch::Tensor derivative;  // f'(x), same shape; < 0 in places for gelu, silu, mish, hardswish
  // |f'(x)|, the factor by which the backward signal's size is scaled: what "dead" and
  // "saturated" are about, whatever the sign.
  torch::Tensor abs_derivative;
  double max_abs_derivative = 1;  // the activation's largest |f'| (0.25 sigmoid, 1.5 hardswish)
};

// Gradients of the probe-set loss for one layer, available once all chunks are in.
struct LayerGradients {
  torch::Tensor feeding_weight_grad;  // dL/dW of the conv/linear that feeds the layer
  // Single-image weight gradients of the consuming conv/linear (same-sign probe images).
  std::vector<torch::Tensor> consumer_grad_per_image;
};

// A measured quantity of one layer at one probe time: accumulates over chunks (the "what"),
// then writes its fields into the layer's record. Schedules and storage live elsewhere.
class LayerQuantity {
 public:
  virtual ~LayerQuantity() = default;
  virtual void add_forward(const ForwardChunk&) {}
  // dL/da for a chunk, L the mean loss over the whole probe set.
  virtual void add_backward(const torch::Tensor& /*grad_activation*/) {}
  // For quantities that compare with the earlier probes of a run (revival): `memory` is what
  // this quantity left for this layer at the previous probe (undefined at the first); read it,
  // then replace it. Called after the last chunk, before write, and only when the layer's values
  // were finite (a non-finite probe leaves the memory as it was).
  virtual void carry(torch::Tensor& /*memory*/) {}
  virtual void write(const LayerGradients& gradients, nlohmann::json& record) const = 0;
};

enum class ProbeLevel { kOff = 0, kCheap = 1, kFull = 2 };

// Parses "off" | "cheap" | "full"; throws Error listing them.
ProbeLevel parse_probe_level(const std::string& text);
std::string to_string(ProbeLevel level);

struct QuantityDefinition {
  std::string name;
  std::vector<std::string> fields;        // the record fields it writes
  ProbeLevel level = ProbeLevel::kCheap;  // the cheapest preset that includes it
  bool needs_per_image_grads = false;     // asks for the single-image backward passes
  std::function<std::unique_ptr<LayerQuantity>()> make;
};

// Every quantity, in the order their fields appear in layers.jsonl.
const Registry<QuantityDefinition>& quantity_registry();

}  // namespace actlab
