#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition hardsigmoid() {
  ActivationDefinition d;
  d.name = "hardsigmoid";
  d.formula = "relu6(x + 3) / 6";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::hardsigmoid(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    return indicator((x > -3) & (x < 3), x) / 6.0;
  };
  return d;
}

}  // namespace actlab::activations
