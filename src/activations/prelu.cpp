#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition prelu() {
  ActivationDefinition d;
  d.name = "prelu";
  d.parameters = {{"init", 0.25, "initial value of the learned slope for x < 0 (one per layer)"}};
  d.formula = "x if x > 0 else a * x, a learned";
  d.default_init = "kaiming";
  d.learned_init = [](const ParameterValues& values) {
    return torch::full({1}, values.at("init"));
  };
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::prelu(x, a.learned.to(x.scalar_type()));
  };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::where(x > 0, torch::ones_like(x), a.learned.to(x.scalar_type()).expand_as(x));
  };
  return d;
}

}  // namespace actlab::activations
