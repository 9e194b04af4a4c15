#include "src/activations/builtin.h"

#include <cmath>

namespace actlab::activations {

ActivationDefinition gelu() {
  ActivationDefinition d;
  d.name = "gelu";
  d.formula = "x * Phi(x), Phi the standard normal CDF (exact, erf form)";
  d.default_init = "kaiming";
  d.forward = [](const torch::Tensor& x, const ActivationArgs&) { return torch::gelu(x); };
  d.derivative = [](const torch::Tensor& x, const ActivationArgs&) {
    const auto cdf = 0.5 * (1 + torch::erf(x / std::sqrt(2.0)));
    const auto pdf = torch::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    return cdf + x * pdf;
  };
  return d;
}

}  // namespace actlab::activations
