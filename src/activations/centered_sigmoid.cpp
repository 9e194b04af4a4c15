#include "src/activations/builtin.h"

namespace actlab::activations {

// The sigmoid moved down by 1/2: the same derivative (peak 1/4), but zero-centred outputs, so the
// zero-centring claim can be tested apart from the derivative's size.
ActivationDefinition centered_sigmoid() {
  ActivationDefinition d;
  d.name = "centered_sigmoid";
  d.formula = "1 / (1 + exp(-x)) - 1/2";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::sigmoid(x) - 0.5; };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto s = torch::sigmoid(x);
    return s * (1 - s);
  };
  return d;
}

}  // namespace actlab::activations
