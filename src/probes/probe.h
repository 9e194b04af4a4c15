#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/network.h"
#include "src/probes/quantity.h"

namespace actlab {

struct ProbeSettings {
  ProbeLevel level = ProbeLevel::kCheap;
  int64_t same_sign_images = 32;  // images for the single-image gradients of same_sign_fraction
  int64_t chunk_size = 250;       // probe images per forward pass (bounds memory)
};

// What quantities carry from one probe of a run to the next (revival), keyed by
// "layer/quantity". Owned by whoever probes the same model repeatedly (ProbeHook).
using ProbeMemory = std::map<std::string, torch::Tensor>;

// Measures every quantity up to `settings.level` for every activation layer of `model` on
// normalised `images` [N, 3, 32, 32] with `labels`: one record per layer, in forward order, with
// "layer", "index", "activation", "feeding_layer", "consumer_layer", "finite" and the
// quantities' fields. "finite" is false when the probe-set loss, or the layer's x, f(x) or dL/da
// was NaN or infinite anywhere; then every quantity field is null (a diverged network is
// recorded as non-finite, never as dead or alive). The model runs in training mode (batch
// statistics, as training sees it); its parameters, buffers (batch-norm running statistics),
// mode and .grad fields are left as they were. `memory` (may be null: no earlier probes) is
// read and updated for the quantities that compare with earlier probes.
std::vector<nlohmann::json> probe_layers(NetworkImpl& model, const torch::Tensor& images,
                                         const torch::Tensor& labels, const ProbeSettings& settings,
                                         ProbeMemory* memory = nullptr);

}  // namespace actlab
