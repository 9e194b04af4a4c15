#include "src/probes/layer_binding.h"

#include <torch/torch.h>

namespace actlab {

std::vector<ProbedLayer> bind_layers(const NetworkImpl& model) {
  std::vector<ProbedLayer> layers;
  std::string last_name;
  torch::Tensor last_weight;
  size_t first_without_consumer = 0;
  for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    torch::Tensor weight;
    if (auto* conv = item.value()->as<torch::nn::Conv2d>()) weight = conv->weight;
    if (auto* linear = item.value()->as<torch::nn::Linear>()) weight = linear->weight;
    if (weight.defined()) {
      for (size_t i = first_without_consumer; i < layers.size(); ++i) {
        layers[i].consumer_name = item.key();
        layers[i].consumer_weight = weight;
      }
      first_without_consumer = layers.size();
      last_name = item.key();
      last_weight = weight;
    } else if (auto activation = std::dynamic_pointer_cast<ActivationImpl>(item.value())) {
      ProbedLayer layer;
      layer.name = item.key();
      layer.index = static_cast<int>(layers.size());
      layer.activation = Activation(activation);
      layer.feeding_name = last_name;
      layer.feeding_weight = last_weight;
      layers.push_back(std::move(layer));
    }
  }
  return layers;
}

}  // namespace actlab
