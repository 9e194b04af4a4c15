#pragma once

// The activations actlab ships; each is defined in its own file in this folder and registered
// with one line in activation.cpp.

#include <torch/torch.h>

#include "src/activations/activation.h"

namespace actlab::activations {

ActivationDefinition relu();
ActivationDefinition relu_subgradient();
ActivationDefinition leaky_relu();
ActivationDefinition prelu();
ActivationDefinition elu();
ActivationDefinition selu();
ActivationDefinition gelu();
ActivationDefinition silu();
ActivationDefinition mish();
ActivationDefinition softplus();
ActivationDefinition sigmoid();
ActivationDefinition scaled_sigmoid();
ActivationDefinition centered_sigmoid();
ActivationDefinition bipolar_sigmoid();
ActivationDefinition tanh();
ActivationDefinition hardtanh();
ActivationDefinition relu6();
ActivationDefinition hardsigmoid();
ActivationDefinition hardswish();
ActivationDefinition identity();

// 1 where `condition` holds, else 0, in x's dtype: most piecewise derivatives are built from it.
inline torch::Tensor indicator(const torch::Tensor& condition, const torch::Tensor& like) {
  return condition.to(like.scalar_type());
}

}  // namespace actlab::activations
