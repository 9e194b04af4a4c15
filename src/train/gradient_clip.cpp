#include "src/train/gradient_clip.h"

#include <torch/torch.h>

namespace actlab {

GradientClipper::GradientClipper(double max_norm) : max_norm_(max_norm) {}

torch::Tensor GradientClipper::clip(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& parameter : parameters) {
    if (parameter.grad().defined()) grads.push_back(parameter.grad());
  }
  if (grads.empty()) return {};
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& grad : grads) norms.push_back(grad.norm(2));
  const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const auto scale = torch::clamp_max(max_norm_ / (total + 1e-6), 1.0);
  for (auto& grad : grads) grad.mul_(scale);

  // float32 -> float64 is exact: the comparison is the one `double norm > max_norm` made.
  const auto clipped = total.to(torch::kFloat64).gt(max_norm_).to(torch::kInt64);
  clipped_ = clipped_.defined() ? clipped_ + clipped : clipped;
  return total;
}

int64_t GradientClipper::take_clipped_steps() {
  if (!clipped_.defined()) return 0;
  const int64_t count = clipped_.item<int64_t>();
  clipped_ = torch::Tensor();
  return count;
}

}  // namespace actlab
