#include "src/probes/gradient_norms.h"

#include <torch/torch.h>

namespace actlab {

torch::Tensor squared_gradient_norms(const std::vector<torch::Tensor>& parameters, bool fused) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  std::vector<int64_t> slots;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].grad().defined()) {
      grads.push_back(parameters[i].grad());
      slots.push_back(static_cast<int64_t>(i));
    }
  }
  if (grads.empty()) {
    const auto options = torch::TensorOptions().dtype(torch::kFloat32);
    return torch::zeros({static_cast<int64_t>(parameters.size()) + 1},
                        parameters.empty() ? options : options.device(parameters[0].device()));
  }
  const auto zero = torch::zeros({}, grads.front().options().dtype(torch::kFloat32));
  if (!fused) {
    std::vector<torch::Tensor> squares;
    size_t next = 0;
    for (size_t i = 0; i < parameters.size(); ++i) {
      const bool has_grad = next < slots.size() && slots[next] == static_cast<int64_t>(i);
      squares.push_back(has_grad ? grads[next++].square().sum().to(torch::kFloat32) : zero);
    }
    squares.push_back(zero);
    return torch::stack(squares);
  }
  const auto norms = torch::stack(torch::_foreach_norm(grads)).to(torch::kFloat32);
  auto squared = torch::zeros({static_cast<int64_t>(parameters.size()) + 1}, zero.options());
  if (slots.size() == parameters.size()) {
    squared.slice(0, 0, norms.size(0)).copy_(norms.square());
  } else {
    // index_copy_ with an index built on the host: one small host-to-device copy, no sync.
    squared.index_copy_(0, torch::tensor(slots, torch::kInt64).to(squared.device()),
                        norms.square());
  }
  return squared;
}

}  // namespace actlab
