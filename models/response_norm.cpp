#include "models/response_norm.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/error.h"

namespace actlab {

ResponseNormImpl::ResponseNormImpl(const ResponseNormOptions& options) : options_(options) {
  if (options.size < 1) throw Error(fmt::format("rnorm size must be >= 1, got {}", options.size));
}

torch::Tensor ResponseNormImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  const int64_t size = options_.size;
  const int64_t before = size / 2, after = size - 1 - before;
  // The mean of x^2 over the zero-padded window is the window's sum / size^2, so
  // (scale / size^2) * sum = scale * mean.
  const auto squares = F::pad(x.square(), F::PadFuncOptions({before, after, before, after}));
  const auto mean_square = F::avg_pool2d(squares, F::AvgPool2dFuncOptions(size).stride(1));
  return x * (1 + options_.scale * mean_square).pow(-options_.power);
}

std::string ResponseNormImpl::describe() const {
  return fmt::format("rnorm {}x{} same-map, scale {}/{}, pow {}", options_.size, options_.size,
                     options_.scale, options_.size * options_.size, options_.power);
}

}  // namespace actlab
