#include "src/train/finite_check.h"

#include <torch/torch.h>

#include <cmath>

#include "src/core/error.h"

namespace actlab {

FiniteCheck::FiniteCheck(int64_t read_every) : read_every_(read_every) {
  if (read_every < 1) throw Error("FiniteCheck: read_every must be >= 1");
}

FiniteCheck FiniteCheck::for_device(const torch::Device& device, int64_t cuda_read_every) {
  return FiniteCheck(device.is_cuda() ? cuda_read_every : 1);
}

std::optional<NonFiniteLoss> FiniteCheck::observe(const torch::Tensor& loss, int64_t step) {
  if (step < 1) throw Error("FiniteCheck::observe: steps are numbered from 1");
  if (found_) return found_;
  if (read_every_ == 1) {
    const double value = loss.item<double>();
    if (!std::isfinite(value)) found_ = NonFiniteLoss{step, value};
    return found_;
  }
  torch::NoGradGuard no_grad;
  const auto value = loss.detach().to(torch::kFloat64);
  if (!first_step_.defined()) {
    first_step_ = torch::zeros({}, value.options().dtype(torch::kInt64));
    first_loss_ = torch::zeros({}, value.options());
  }
  // Only the first bad step is kept: later ones leave both tensors as they are.
  const auto first_bad =
      torch::logical_and(torch::isfinite(value).logical_not(), first_step_.eq(0));
  first_step_.masked_fill_(first_bad, step);
  first_loss_ = torch::where(first_bad, value, first_loss_);
  if (++unread_ >= read_every_) return flush();
  return std::nullopt;
}

std::optional<NonFiniteLoss> FiniteCheck::flush() {
  if (found_ || !first_step_.defined()) return found_;
  unread_ = 0;
  const int64_t step = first_step_.item<int64_t>();
  if (step != 0) found_ = NonFiniteLoss{step, first_loss_.item<double>()};
  return found_;
}

}  // namespace actlab
