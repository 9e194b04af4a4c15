#include "src/activations/builtin.h"

namespace actlab::activations {

// Constants of Klambauer et al. 2017, as LibTorch uses them.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

ActivationDefinition selu() {
  ActivationDefinition d;
  d.name = "selu";
  d.formula = "1.0507 * (x if x > 0 else 1.6733 * (exp(x) - 1))";
  d.default_init = "lecun";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::selu(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    return kSeluScale * torch::where(x > 0, torch::ones_like(x), kSeluAlpha * torch::exp(x));
  };
  return d;
}

}  // namespace actlab::activations
