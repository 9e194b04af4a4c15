#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace actlab {

// The first training step whose loss was NaN or infinite.
struct NonFiniteLoss {
  int64_t step = 0;  // the step number the caller passed to observe()
  double loss = 0;   // its loss (NaN, inf or -inf)
};

// Watches the training loss for the first non-finite value without a host sync every step.
// read_every 1 (the CPU) reads each loss back as it comes: the loop stops at the first
// non-finite step, as it always has. read_every N > 1 (CUDA) keeps "first bad step and its loss"
// on the device and reads it back every N steps (one sync), so the loop learns of a divergence
// up to N - 1 steps late, but the step and loss reported are still those of the first bad step.
class FiniteCheck {
 public:
  explicit FiniteCheck(int64_t read_every);
  // 1 on the CPU, `cuda_read_every` on CUDA.
  static FiniteCheck for_device(const torch::Device& device, int64_t cuda_read_every = 50);

  // After each step's forward pass; `step` >= 1 numbers the steps (the trainer's step + 1).
  // Returns the first non-finite step once it is known (at this read, not necessarily this step).
  std::optional<NonFiniteLoss> observe(const torch::Tensor& loss, int64_t step);
  // Reads back now (the end of an epoch or of the run): the first non-finite step so far, if any.
  std::optional<NonFiniteLoss> flush();

  int64_t read_every() const { return read_every_; }

 private:
  int64_t read_every_;
  int64_t unread_ = 0;        // observe() calls since the last read-back
  torch::Tensor first_step_;  // int64 0-dim on the loss's device, 0 = all finite so far
  torch::Tensor first_loss_;  // float64 0-dim, the loss at first_step_
  std::optional<NonFiniteLoss> found_;
};

}  // namespace actlab
