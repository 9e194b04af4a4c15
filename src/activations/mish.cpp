#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition mish() {
  ActivationDefinition d;
  d.name = "mish";
  d.formula = "x * tanh(softplus(x))";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::mish(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto t = torch::tanh(torch::softplus(x));
    return t + x * (1 - t * t) * torch::sigmoid(x);
  };
  return d;
}

}  // namespace actlab::activations
