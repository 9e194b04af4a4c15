#pragma once

// Small nets probed directly, for the probe tests: a plain net's options, one probe pass with
// chunked accumulation, a record's field.

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/probes/probe.h"
#include "src/train/trainer.h"

namespace actlab::testing {

inline ModelOptions plain_options(const std::string& activation, int depth, bool batch_norm = false,
                                  double bias_init = 0.0, int width = 8) {
  ModelOptions options;
  options.activation = activation;
  options.depth = depth;
  options.width = width;
  options.batch_norm = batch_norm;
  options.bias_init = bias_init;
  return options;
}

inline std::vector<nlohmann::json> probe(Network& model, const torch::Tensor& images,
                                         ProbeLevel level = ProbeLevel::kFull) {
  const auto labels = torch::arange(images.size(0)) % 10;
  ProbeSettings settings;
  settings.level = level;
  settings.same_sign_images = 4;
  settings.chunk_size = 5;  // several chunks, so accumulation across chunks is exercised
  return probe_layers(*model, images, labels, settings);
}

inline double field(const nlohmann::json& record, const char* name) {
  return record.at(name).get<double>();
}

}  // namespace actlab::testing
