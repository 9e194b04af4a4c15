#include "models/layers.h"

#include <torch/torch.h>

namespace actlab {

torch::nn::Conv2d make_conv(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            int64_t stride, bool batch_norm) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel_size)
                               .stride(stride)
                               .padding(kernel_size / 2)
                               .bias(!batch_norm));
}

std::vector<torch::nn::Sequential> add_conv_stages(
    torch::nn::Module& parent, const std::vector<std::vector<int64_t>>& channels,
    const ModelOptions& options, int64_t in_channels) {
  std::vector<torch::nn::Sequential> stages;
  for (size_t stage = 0; stage < channels.size(); ++stage) {
    // The Sequential runs the units; the plain module gives them their stable names.
    auto named = std::make_shared<torch::nn::Module>();
    torch::nn::Sequential units;
    for (size_t layer = 0; layer < channels[stage].size(); ++layer) {
      const int64_t out_channels = channels[stage][layer];
      units->push_back(named->register_module(fmt::format("layer{}", layer + 1),
                                              ConvUnit(in_channels, out_channels, 3, options)));
      in_channels = out_channels;
    }
    parent.register_module(fmt::format("stage{}", stage + 1), named);
    stages.push_back(units);
  }
  return stages;
}

ConvUnitImpl::ConvUnitImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                           const ModelOptions& options) {
  conv_ = register_module(
      "conv", make_conv(in_channels, out_channels, kernel_size, /*stride=*/1, options.batch_norm));
  if (options.batch_norm) bn_ = register_module("bn", torch::nn::BatchNorm2d(out_channels));
  act_ = register_module("act", Activation(options.activation));
}

torch::Tensor ConvUnitImpl::forward(torch::Tensor x) {
  x = conv_->forward(x);
  if (bn_) x = bn_->forward(x);
  return act_->forward(x);
}

}  // namespace actlab
