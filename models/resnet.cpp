#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"

namespace actlab::models {

namespace {

// He et al. 2016, section 4.2: the basic block with the parameter-free "option A" shortcut
// (subsample, then zero-pad the new channels). With skip off the block is the same two convs
// without the addition, so skip on/off nets have identical parameters.
class BasicBlockImpl : public torch::nn::Module {
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

  torch::Tensor forward(const torch::Tensor& input) {
    auto x = conv1_->forward(input);
    if (bn1_) x = bn1_->forward(x);
    x = act1_->forward(x);
    x = conv2_->forward(x);
    if (bn2_) x = bn2_->forward(x);
    if (skip_) x = x + shortcut(input);
    return act2_->forward(x);
  }

 private:
  torch::Tensor shortcut(const torch::Tensor& input) const {
    if (stride_ == 1 && pad_channels_ == 0) return input;
    namespace F = torch::nn::functional;
    const auto subsampled =
        input.slice(2, 0, c10::nullopt, stride_).slice(3, 0, c10::nullopt, stride_);
    const int64_t before = pad_channels_ / 2;
    return F::pad(subsampled, F::PadFuncOptions({0, 0, 0, 0, before, pad_channels_ - before}));
  }

  int64_t stride_;
  int64_t pad_channels_;
  bool skip_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  Activation act1_{nullptr}, act2_{nullptr};
};
TORCH_MODULE(BasicBlock);

class ResNetImpl : public NetworkImpl {
 public:
  explicit ResNetImpl(const ModelOptions& options) {
    const int blocks_per_stage = (options.depth - 2) / 6;
    auto stem = std::make_shared<torch::nn::Module>();
    stem_conv_ =
        stem->register_module("conv", make_conv(3, options.width, 3, 1, options.batch_norm));
    if (options.batch_norm)
      stem_bn_ = stem->register_module("bn", torch::nn::BatchNorm2d(options.width));
    stem_act_ = stem->register_module("act", Activation(options.activation));
    register_module("stem", stem);

    int64_t in_channels = options.width;
    for (int stage = 0; stage < 3; ++stage) {
      const int64_t out_channels = options.width << stage;
      auto stage_module = std::make_shared<torch::nn::Module>();
      for (int block = 0; block < blocks_per_stage; ++block) {
        const int64_t stride = (stage > 0 && block == 0) ? 2 : 1;
        blocks_.push_back(
            stage_module->register_module(fmt::format("block{}", block + 1),
                                          BasicBlock(in_channels, out_channels, stride, options)));
        in_channels = out_channels;
      }
      register_module(fmt::format("stage{}", stage + 1), stage_module);
    }
    classifier_ =
        register_module("classifier", torch::nn::Linear(in_channels, options.num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = stem_conv_->forward(x);
    if (stem_bn_) x = stem_bn_->forward(x);
    x = stem_act_->forward(x);
    for (auto& block : blocks_) x = block->forward(x);
    return classifier_->forward(x.mean({2, 3}));
  }

 private:
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  Activation stem_act_{nullptr};
  std::vector<BasicBlock> blocks_;
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace

ModelDefinition resnet() {
  ModelDefinition d;
  d.name = "resnet";
  d.summary = "CIFAR ResNet-20/32/56/110 of He et al. 2016 (depth 6n+2), shortcuts on/off";
  d.layers =
      "stem: conv 3x3 3->W, [bn], act (stem.act); stage1..3 with W, 2W, 4W channels, n basic "
      "blocks each (conv 3x3, [bn], act1, conv 3x3, [bn], + shortcut, act2 -> "
      "stageS.blockB.act1/act2), stride 2 at the first block of stages 2 and 3, option-A "
      "shortcuts (subsample + zero channel padding, no parameters); global average pool; "
      "classifier fc 4W->10. n = (depth - 2) / 6. Defaults depth 20, width W = 16";
  d.default_depth = 20;
  d.default_width = 16;
  d.uses_skip = true;
  d.check_depth = [](int depth) -> std::string {
    return depth >= 8 && (depth - 2) % 6 == 0 ? "" : "resnet depth must be 6n+2: 20, 32, 56, 110";
  };
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<ResNetImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
