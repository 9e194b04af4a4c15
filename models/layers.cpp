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

torch::Tensor convnet_max_pool(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).ceil_mode(true));
}

torch::Tensor convnet_avg_pool(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  // With padding 0 LibTorch's divisor is the in-image part of the window either way;
  // count_include_pad false says so.
  return F::avg_pool2d(
      x, F::AvgPool2dFuncOptions(3).stride(2).ceil_mode(true).count_include_pad(false));
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

torch::Tensor ConvUnitImpl::pre_activation(torch::Tensor x) {
  x = conv_->forward(x);
  return bn_ ? bn_->forward(x) : x;
}

torch::Tensor ConvUnitImpl::activate(torch::Tensor x) {
  return act_->forward(x);
}

torch::Tensor ConvUnitImpl::forward(torch::Tensor x) {
  return activate(pre_activation(x));
}

}  // namespace actlab
