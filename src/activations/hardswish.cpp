#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition hardswish() {
  ActivationDefinition d;
  d.name = "hardswish";
  d.formula = "x * relu6(x + 3) / 6";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::hardswish(x); };
  // Boundaries as LibTorch's backward places them: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above.
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    return torch::where(x < -3, torch::zeros_like(x),
                        torch::where(x <= 3, x / 3.0 + 0.5, torch::ones_like(x)));
  };
  return d;
}

}  // namespace actlab::activations
