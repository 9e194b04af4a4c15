#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition relu() {
  ActivationDefinition d;
  d.name = "relu";
  d.formula = "max(0, x)";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::relu(x); };
  // f'(0) = 0, as LibTorch's autograd computes it.
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) { return indicator(x > 0, x); };
  return d;
}

}  // namespace actlab::activations
