#pragma once

// The one place where LibTorch 1.13 (Debian, CPU) and LibTorch 2.x (CUDA wheels) differ in the
// API actlab uses. Everything else in the project calls these wrappers, never the versioned API.

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace actlab::compat {

inline constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

// Enables or disables CUDA autocast to `dtype` for the current thread.
// 1.13: set_enabled + set_autocast_gpu_dtype; 2.4+: the device-typed calls.
inline void set_cuda_autocast(bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(enabled);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
  if (!enabled) at::autocast::clear_cache();
}

// Waits for queued CUDA work (for honest wall-clock timings); a no-op without CUDA.
inline void synchronize_cuda() {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
}

}  // namespace actlab::compat
