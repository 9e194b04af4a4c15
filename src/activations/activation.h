#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <string>
#include <vector>

#include "src/core/registry.h"
#include "src/core/spec.h"

namespace actlab {

// What an activation function sees besides its input: its resolved parameters and, for
// activations with a learnable parameter (PReLU), that tensor.
struct ActivationArgs {
  const ParameterValues& values;
  const torch::Tensor& learned;
  double operator[](const std::string& key) const { return values.at(key); }
};

using ActivationFunction =
    std::function<torch::Tensor(const torch::Tensor&, const ActivationArgs&)>;

// One registered activation. Adding an activation = one file returning this + one registry line.
struct ActivationDefinition {
  std::string name;
  std::vector<ParameterInfo> parameters;  // accepted spec parameters with defaults
  std::string formula;                    // f(x), as printed by `actlab list activations`
  std::string default_init;               // weight init used with it: kaiming | xavier | lecun
  ActivationFunction forward;     // f(x), differentiable (LibTorch's own op where one exists)
  ActivationFunction derivative;  // f'(x) in closed form, elementwise
  // Initial value of the learnable tensor; empty for activations without one.
  std::function<torch::Tensor(const ParameterValues&)> learned_init;
};

const Registry<ActivationDefinition>& activation_registry();

// An activation layer. Every activation in a network is its own module, so probes can find it
// (by its stable name) and ask for f'(x) at the pre-activation it saw.
class ActivationImpl : public torch::nn::Module {
 public:
  // `spec` as in "relu", "leaky_relu:slope=0.2"; throws Error for unknown names/parameters.
  explicit ActivationImpl(const std::string& spec);

  torch::Tensor forward(const torch::Tensor& x);
  // f'(x) elementwise, outside autograd.
  torch::Tensor derivative(const torch::Tensor& x) const;

  const ActivationDefinition& definition() const { return *definition_; }
  const ParameterValues& values() const { return values_; }
  // Canonical spec with every parameter, e.g. "leaky_relu:slope=0.01".
  std::string spec() const { return format_spec(definition_->name, values_); }

  void pretty_print(std::ostream& stream) const override;

  // Called by forward with the pre-activation x and the output a (probes set it while they
  // measure; unset during training, where it costs one branch).
  using Observer = std::function<void(const torch::Tensor& x, const torch::Tensor& a)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // The largest |f'| over x in [-10, 10] (PReLU's uses its current slope), for saturation.
  // |f'|, not f': gelu, silu, mish and hardswish pass gradient where f' < 0 too.
  double max_abs_derivative() const;

 private:
  Observer observer_;
  const ActivationDefinition* definition_;
  ParameterValues values_;
  torch::Tensor learned_;
};
TORCH_MODULE(Activation);

// The canonical form of a spec string, validated ("leaky_relu" -> "leaky_relu:slope=0.01").
std::string canonical_activation_spec(const std::string& spec);

// Range of f' sampled on [-10, 10] in steps of 0.001 (x = 0 included), for listings.
std::pair<double, double> sampled_derivative_range(const std::string& spec);

}  // namespace actlab
