#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace actlab {

// Clips gradients to a global L2 norm without reading anything back to the host, so a CUDA step
// does not wait for the GPU. The arithmetic is torch::nn::utils::clip_grad_norm_'s (LibTorch 1.13
// to 2.x: per-parameter norms, stacked, their norm; scale max_norm / (norm + 1e-6) clamped at 1),
// so CPU runs give the same gradients bit for bit; only its double return value is gone.
class GradientClipper {
 public:
  explicit GradientClipper(double max_norm);

  // Scales the gradients of `parameters` in place; returns the total norm before clipping as a
  // 0-dim tensor on the gradients' device (undefined when no parameter has a gradient). A step
  // counts as clipped when that norm exceeds max_norm, compared in double as clip_grad_norm_'s
  // caller did.
  torch::Tensor clip(const std::vector<torch::Tensor>& parameters);

  // Clipped steps since the last call; reads the device counter back (one sync) and resets it.
  int64_t take_clipped_steps();

 private:
  double max_norm_;
  torch::Tensor clipped_;  // int64 0-dim, on the gradients' device
};

}  // namespace actlab
