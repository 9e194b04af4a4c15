#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition relu6() {
  ActivationDefinition d;
  d.name = "relu6";
  d.formula = "min(max(0, x), 6)";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) {
    return torch::hardtanh(x, 0, 6);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    return indicator((x > 0) & (x < 6), x);
  };
  return d;
}

}  // namespace actlab::activations
