#include "src/activations/builtin.h"

namespace actlab::activations {

// No non-linearity: the baseline that shows what depth alone does.
ActivationDefinition identity() {
  ActivationDefinition d;
  d.name = "identity";
  d.formula = "x";
  d.default_init = "lecun";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return x; };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) { return torch::ones_like(x); };
  return d;
}

}  // namespace actlab::activations
