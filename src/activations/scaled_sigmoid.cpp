#include "src/activations/builtin.h"

namespace actlab::activations {

// With k = 4 the derivative peaks at 1 (k / 4), the "fixed" sigmoid of the vanishing-gradient
// claim.
ActivationDefinition scaled_sigmoid() {
  ActivationDefinition d;
  d.name = "scaled_sigmoid";
  d.parameters = {{"k", 4.0, "input scale; f'(0) = k / 4"}};
  d.formula = "1 / (1 + exp(-k * x))";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::sigmoid(a["k"] * x);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    const auto s = torch::sigmoid(a["k"] * x);
    return a["k"] * s * (1 - s);
  };
  return d;
}

}  // namespace actlab::activations
