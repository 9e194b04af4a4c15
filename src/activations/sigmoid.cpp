#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition sigmoid() {
  ActivationDefinition d;
  d.name = "sigmoid";
  d.formula = "1 / (1 + exp(-x))";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::sigmoid(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto s = torch::sigmoid(x);
    return s * (1 - s);
  };
  return d;
}

}  // namespace actlab::activations
