#pragma once

// The probe quantities, one file each in this folder, registered in src/probes/quantity.cpp.

#include <torch/torch.h>

#include "src/probes/quantity.h"

namespace actlab::quantities {

QuantityDefinition dead_units();
QuantityDefinition negative_units();
QuantityDefinition sparsity();
QuantityDefinition exact_zeros();
QuantityDefinition saturation();
QuantityDefinition moments();
QuantityDefinition gradient_flow();
QuantityDefinition same_sign();
QuantityDefinition histogram();

// The sum of all elements as a float64 scalar tensor, without a float64 copy of the data (a
// float64 sum costs 20x a float32 one here): masks are counted, floats summed in their own type
// (LibTorch sums pairwise, so millions of terms keep ~7 significant digits), then widened.
inline torch::Tensor sum64(const torch::Tensor& t) {
  return (t.scalar_type() == torch::kBool ? t.count_nonzero() : t.sum()).to(torch::kFloat64);
}

// The sum of squares as a float64 scalar tensor. Squared after dividing by the largest |value|
// and scaled back in float64: a blown-up layer's values above ~1.8e19 square to inf in float32.
inline torch::Tensor sum_squares64(const torch::Tensor& t) {
  const auto largest = t.abs().max().to(torch::kFloat64);
  const auto scale = torch::where(largest > 0, largest, torch::ones_like(largest));
  return (t / scale.to(t.scalar_type())).square().sum().to(torch::kFloat64) * scale.square();
}

// A running float64 scalar sum on the data's device.
inline void accumulate(torch::Tensor& total, const torch::Tensor& term) {
  total = total.defined() ? total + term : term;
}

inline double value(const torch::Tensor& scalar) {
  return scalar.defined() ? scalar.item<double>() : 0.0;
}

}  // namespace actlab::quantities
