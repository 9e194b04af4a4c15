#include "src/activations/builtin.h"

namespace actlab::activations {

// 2 sigmoid(x) - 1 = tanh(x / 2): zero-centred with range (-1, 1) like tanh, but f' peaks at 1/2
// (tanh: 1, sigmoid: 1/4), the middle step between the two.
ActivationDefinition bipolar_sigmoid() {
  ActivationDefinition d;
  d.name = "bipolar_sigmoid";
  d.formula = "2 / (1 + exp(-x)) - 1 = tanh(x / 2)";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) {
    return 2 * torch::sigmoid(x) - 1;
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto s = torch::sigmoid(x);
    return 2 * s * (1 - s);
  };
  return d;
}

}  // namespace actlab::activations
