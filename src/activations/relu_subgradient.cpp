#include "src/activations/builtin.h"

namespace actlab::activations {

// ReLU with a chosen derivative at exactly 0 ("ReLU is not differentiable at 0"): any value in
// [0, 1] is a subgradient there. LibTorch's relu takes 0; Bertoin et al. 2021 (NeurIPS,
// "Numerical influence of ReLU'(0) on backpropagation") found the choice matters where exact
// zeros are common (16-bit arithmetic). The forward is relu's to the bit.
ActivationDefinition relu_subgradient() {
  ActivationDefinition d;
  d.name = "relu_subgradient";
  d.parameters = {{"at_zero", 0.5, "f'(0): 0 is LibTorch's relu, 1 the one-sided derivative"}};
  d.formula = "max(0, x), with f'(0) = at_zero";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    const double at_zero = a["at_zero"];
    if (at_zero == 0) return torch::relu(x);
    // Where x is exactly 0, x.detach() - x is exactly +0 with derivative -1: subtracting
    // at_zero times it keeps relu's value (-0 stays -0) and adds at_zero to the gradient
    // (relu's own backward gives 0 there). Elsewhere it is relu itself (no 0 * (inf - inf)).
    const auto r = torch::relu(x);
    return torch::where((x == 0).detach(), r - at_zero * (x.detach() - x), r);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return indicator(x > 0, x) + a["at_zero"] * indicator(x == 0, x);
  };
  return d;
}

}  // namespace actlab::activations
