#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition silu() {
  ActivationDefinition d;
  d.name = "silu";
  d.formula = "x * sigmoid(x) (swish)";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::silu(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto s = torch::sigmoid(x);
    return s * (1 + x * (1 - s));
  };
  return d;
}

}  // namespace actlab::activations
