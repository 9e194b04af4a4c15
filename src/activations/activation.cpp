#include "src/activations/activation.h"

#include <torch/torch.h>

#include "src/activations/builtin.h"

namespace actlab {

const Registry<ActivationDefinition>& activation_registry() {
  static const Registry<ActivationDefinition> registry = [] {
    Registry<ActivationDefinition> r("activation");
    r.add(activations::relu());
    r.add(activations::leaky_relu());
    r.add(activations::prelu());
    r.add(activations::elu());
    r.add(activations::selu());
    r.add(activations::gelu());
    r.add(activations::silu());
    r.add(activations::mish());
    r.add(activations::softplus());
    r.add(activations::sigmoid());
    r.add(activations::scaled_sigmoid());
    r.add(activations::centered_sigmoid());
    r.add(activations::bipolar_sigmoid());
    r.add(activations::tanh());
    r.add(activations::hardtanh());
    r.add(activations::relu6());
    r.add(activations::hardsigmoid());
    r.add(activations::hardswish());
    r.add(activations::identity());
    r.add(activations::relu_subgradient());
    return r;
  }();
  return registry;
}

ActivationImpl::ActivationImpl(const std::string& spec) {
  const Spec parsed = parse_spec(spec, "activation");
  definition_ = &activation_registry().get(parsed.name);
  values_ = resolve_parameters(parsed, definition_->parameters, "activation");
  if (definition_->learned_init) {
    learned_ = register_parameter("weight", definition_->learned_init(values_));
  }
}

torch::Tensor ActivationImpl::forward(const torch::Tensor& x) {
  auto a = definition_->forward(x, ActivationArgs{values_, learned_});
  if (observer_) observer_(x, a);
  return a;
}

namespace {

torch::Tensor derivative_sample_points() {
  return torch::arange(-10000, 10001, torch::kFloat64) / 1000.0;
}

}  // namespace

double ActivationImpl::max_abs_derivative() const {
  return derivative(
             derivative_sample_points().to(learned_.defined() ? learned_.device() : torch::kCPU))
      .abs()
      .max()
      .item<double>();
}

torch::Tensor ActivationImpl::derivative(const torch::Tensor& x) const {
  torch::NoGradGuard no_grad;
  return definition_->derivative(x, ActivationArgs{values_, learned_});
}

void ActivationImpl::pretty_print(std::ostream& stream) const {
  stream << spec();
}

std::string canonical_activation_spec(const std::string& spec) {
  const Spec parsed = parse_spec(spec, "activation");
  const auto& definition = activation_registry().get(parsed.name);
  return format_spec(parsed.name, resolve_parameters(parsed, definition.parameters, "activation"));
}

std::pair<double, double> sampled_derivative_range(const std::string& spec) {
  ActivationImpl activation(spec);
  const auto derivative = activation.derivative(derivative_sample_points());
  return {derivative.min().item<double>(), derivative.max().item<double>()};
}

}  // namespace actlab
