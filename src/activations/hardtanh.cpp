#include "src/activations/builtin.h"

namespace actlab::activations {

ActivationDefinition hardtanh() {
  ActivationDefinition d;
  d.name = "hardtanh";
  d.parameters = {{"min", -1.0, "lower clip value"}, {"max", 1.0, "upper clip value"}};
  d.formula = "clamp(x, min, max)";
  d.default_init = "xavier";
  d.forward = [](const torch::Tensor& x, const ActivationArgs& a) {
    return torch::hardtanh(x, a["min"], a["max"]);
  };
  // LibTorch's backward passes the gradient strictly inside (min, max) only.
  d.derivative = [](const torch::Tensor& x, const ActivationArgs& a) {
    return indicator((x > a["min"]) & (x < a["max"]), x);
  };
  return d;
}

}  // namespace actlab::activations
