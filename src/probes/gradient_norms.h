#pragma once

#include <torch/types.h>

#include <vector>

namespace actlab {

// The squared L2 norm of each parameter's gradient, float32 [parameters.size() + 1] on the
// gradients' device; parameters without a gradient and the extra last slot hold 0 (the slot
// of layers without a feeding weight). No host sync.
// fused = false: grad.square().sum() per parameter (3 kernels each; the CPU's numbers, as ever).
// fused = true: one multi-tensor norm (torch::_foreach_norm) for all gradients, then squared: a
// couple of kernel launches in all on CUDA; equal up to float32 rounding.
torch::Tensor squared_gradient_norms(const std::vector<torch::Tensor>& parameters, bool fused);

}  // namespace actlab
