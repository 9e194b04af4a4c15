#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "models/network.h"

namespace actlab {

// A residual block of the CIFAR ResNets: input -> branch (+ shortcut unless skip is off).
class ResidualBlockImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& input) = 0;
  // The tensors that scale the branch's output; zeroed, the block starts as its shortcut.
  virtual std::vector<torch::Tensor> branch_end() const = 0;
};
using ResidualBlock = std::shared_ptr<ResidualBlockImpl>;

// He et al. 2016a, section 4.2 (post-activation): conv, [bn], act1, conv, [bn], + shortcut, act2.
// Children registered in forward order: conv1, bn1, act1, conv2, bn2, act2.
ResidualBlock make_basic_block(int64_t in_channels, int64_t out_channels, int64_t stride,
                               const ModelOptions& options);

// He et al. 2016b ("Identity mappings in deep residual networks"), full pre-activation:
// [bn], act1, conv, [bn], act2, conv, + shortcut, nothing after the addition.
// Children registered in forward order: bn1, act1, conv1, bn2, act2, conv2.
ResidualBlock make_preact_block(int64_t in_channels, int64_t out_channels, int64_t stride,
                                const ModelOptions& options);

// The parameter-free "option A" shortcut: subsample by `stride`, zero-pad the new channels.
torch::Tensor option_a_shortcut(const torch::Tensor& input, int64_t stride, int64_t pad_channels);

}  // namespace actlab
