#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition elu() {
  ActivationDefinition d;
  d.name = "elu";
  d.parameters = {{"alpha", 1.0, "saturation value -alpha for x -> -inf"}};
  d.formula = "x if x > 0 else alpha * (exp(x) - 1)";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::elu(x, a["alpha"]);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::where(x > 0, torch::ones_like(x), a["alpha"] * torch::exp(x));
  };
  return d;
}

}  // namespace actlab::activations
