#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition tanh() {
  ActivationDefinition d;
  d.name = "tanh";
  d.formula = "(exp(x) - exp(-x)) / (exp(x) + exp(-x))";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::tanh(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto t = torch::tanh(x);
    return 1 - t * t;
  };
  return d;
}

}  // namespace actlab::activations
