#include "models/residual_blocks.h"

#include <torch/torch.h>

#include "models/layers.h"

namespace actlab {

torch::Tensor option_a_shortcut(const torch::Tensor& input, int64_t stride, int64_t pad_channels) {
  if (stride == 1 && pad_channels == 0) return input;
  namespace F = torch::nn::functional;
  const auto subsampled = input.slice(2, 0, c10::nullopt, stride).slice(3, 0, c10::nullopt, stride);
  const int64_t before = pad_channels / 2;
  return F::pad(subsampled, F::PadFuncOptions({0, 0, 0, 0, before, pad_channels - before}));
}

namespace {

// With skip off a block is the same layers without the addition, so skip on/off nets have
// identical parameters.
class BasicBlockImpl : public ResidualBlockImpl {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                 const ModelOptions& options)
      : stride_(stride), pad_channels_(out_channels - in_channels), skip_(options.skip) {
    conv1_ = register_module("conv1",
                             make_conv(in_channels, out_channels, 3, stride, options.batch_norm));
    if (options.batch_norm) bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
    act1_ = register_module("act1", Activation(options.activation));
    conv2_ =
        register_module("conv2", make_conv(out_channels, out_channels, 3, 1, options.batch_norm));
    if (options.batch_norm) bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
    act2_ = register_module("act2", Activation(options.activation));
  }

  torch::Tensor forward(const torch::Tensor& input) override {
    auto x = conv1_->forward(input);
    if (bn1_) x = bn1_->forward(x);
    x = act1_->forward(x);
    x = conv2_->forward(x);
    if (bn2_) x = bn2_->forward(x);
    if (skip_) x = x + option_a_shortcut(input, stride_, pad_channels_);
    return act2_->forward(x);
  }

  // Goyal et al. 2017: the last batch norm's scale (and shift); without batch norm the last conv.
  std::vector<torch::Tensor> branch_end() const override {
    if (bn2_) return {bn2_->weight, bn2_->bias};
    return {conv2_->weight, conv2_->bias};
  }

 private:
  int64_t stride_;
  int64_t pad_channels_;
  bool skip_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  Activation act1_{nullptr}, act2_{nullptr};
};

class PreActBlockImpl : public ResidualBlockImpl {
 public:
  PreActBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                  const ModelOptions& options)
      : stride_(stride), pad_channels_(out_channels - in_channels), skip_(options.skip) {
    if (options.batch_norm) bn1_ = register_module("bn1", torch::nn::BatchNorm2d(in_channels));
    act1_ = register_module("act1", Activation(options.activation));
    conv1_ = register_module("conv1",
                             make_conv(in_channels, out_channels, 3, stride, options.batch_norm));
    if (options.batch_norm) bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
    act2_ = register_module("act2", Activation(options.activation));
    // With batch norm on, conv2 has no bias, as in He et al.: the next block's bn1 shifts.
    conv2_ =
        register_module("conv2", make_conv(out_channels, out_channels, 3, 1, options.batch_norm));
  }

  torch::Tensor forward(const torch::Tensor& input) override {
    auto x = bn1_ ? bn1_->forward(input) : input;
    x = conv1_->forward(act1_->forward(x));
    if (bn2_) x = bn2_->forward(x);
    x = conv2_->forward(act2_->forward(x));
    return skip_ ? x + option_a_shortcut(input, stride_, pad_channels_) : x;
  }

  std::vector<torch::Tensor> branch_end() const override {
    if (conv2_->bias.defined()) return {conv2_->weight, conv2_->bias};
    return {conv2_->weight};
  }

 private:
  int64_t stride_;
  int64_t pad_channels_;
  bool skip_;
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  Activation act1_{nullptr}, act2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
};

}  // namespace

ResidualBlock make_basic_block(int64_t in_channels, int64_t out_channels, int64_t stride,
                               const ModelOptions& options) {
  return std::make_shared<BasicBlockImpl>(in_channels, out_channels, stride, options);
}

ResidualBlock make_preact_block(int64_t in_channels, int64_t out_channels, int64_t stride,
                                const ModelOptions& options) {
  return std::make_shared<PreActBlockImpl>(in_channels, out_channels, stride, options);
}

}  // namespace actlab
