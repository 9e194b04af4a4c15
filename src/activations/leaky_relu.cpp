#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition leaky_relu() {
  ActivationDefinition d;
  d.name = "leaky_relu";
  d.parameters = {{"slope", 0.01, "gradient for x < 0"}};
  d.formula = "x if x > 0 else slope * x";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::leaky_relu(x, a["slope"]);
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::where(x > 0, torch::ones_like(x), torch::full_like(x, a["slope"]));
  };
  return d;
}

}  // namespace actlab::activations
