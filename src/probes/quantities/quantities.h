#pragma once

// The probe quantities, one file each in this folder, registered in src/probes/quantity.cpp.

#include <torch/torch.h>

#include "src/probes/quantity.h"

namespace actlab::quantities {

QuantityDefinition dead_units();
QuantityDefinition sparsity();
QuantityDefinition saturation();
QuantityDefinition moments();
QuantityDefinition gradient_flow();
QuantityDefinition same_sign();
QuantityDefinition histogram();

// Sums over all elements in float64, so that millions of small terms add up exactly enough.
inline torch::Tensor sum64(const torch::Tensor& t) {
  return t.sum(torch::kFloat64);
}

// A running float64 scalar sum on the data's device.
inline void accumulate(torch::Tensor& total, const torch::Tensor& term) {
  total = total.defined() ? total + term : term;
}

inline double value(const torch::Tensor& scalar) {
  return scalar.defined() ? scalar.item<double>() : 0.0;
}

}  // namespace actlab::quantities
