#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition softplus() {
  ActivationDefinition d;
  d.name = "softplus";
  d.parameters = {{"beta", 1.0, "sharpness; softplus -> relu as beta -> inf"}};
  d.formula = "log(1 + exp(beta * x)) / beta";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::softplus(x, a["beta"], /*threshold=*/20);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::sigmoid(a["beta"] * x);
  };
  return d;
}

}  // namespace actlab::activations
