#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "models/network.h"
#include "src/probes/quantity.h"

namespace actlab {

struct ProbeSettings {
  ProbeLevel level = ProbeLevel::kCheap;
  int64_t same_sign_images = 32;  // images for the single-image gradients of same_sign_fraction
  int64_t chunk_size = 250;       // probe images per forward pass (bounds memory)
};

// Measures every quantity up to `settings.level` for every activation layer of `model` on
// normalised `images` [N, 3, 32, 32] with `labels`: one record per layer, in forward order, with
// "layer", "index", "activation", "feeding_layer", "consumer_layer" and the quantities' fields.
// The model runs in training mode (batch statistics, as training sees it); its parameters,
// buffers (batch-norm running statistics), mode and .grad fields are left as they were.
std::vector<nlohmann::json> probe_layers(NetworkImpl& model, const torch::Tensor& images,
                                         const torch::Tensor& labels,
                                         const ProbeSettings& settings);

}  // namespace actlab
