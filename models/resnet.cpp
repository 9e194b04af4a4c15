#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"
#include "models/residual_blocks.h"

namespace actlab::models {

namespace {

// The CIFAR ResNet of He et al. 2016a, section 4.2, with option-A shortcuts; with preact, the
// full pre-activation variant of He et al. 2016b: the stem is a bare conv and a final
// [bn] + act ("final.bn", "final.act") precedes the pooling.
class ResNetImpl : public NetworkImpl {
 public:
  explicit ResNetImpl(const ModelOptions& options) {
    const int blocks_per_stage = (options.depth - 2) / 6;
    auto stem = std::make_shared<torch::nn::Module>();
    stem_conv_ =
        stem->register_module("conv", make_conv(3, options.width, 3, 1, options.batch_norm));
    if (!options.preact) {
      if (options.batch_norm)
        stem_bn_ = stem->register_module("bn", torch::nn::BatchNorm2d(options.width));
      stem_act_ = stem->register_module("act", Activation(options.activation));
    }
    register_module("stem", stem);

    int64_t in_channels = options.width;
    for (int stage = 0; stage < 3; ++stage) {
      const int64_t out_channels = options.width << stage;
      auto stage_module = std::make_shared<torch::nn::Module>();
      for (int block = 0; block < blocks_per_stage; ++block) {
        const int64_t stride = (stage > 0 && block == 0) ? 2 : 1;
        auto residual_block = options.preact
                                  ? make_preact_block(in_channels, out_channels, stride, options)
                                  : make_basic_block(in_channels, out_channels, stride, options);
        blocks_.push_back(
            stage_module->register_module(fmt::format("block{}", block + 1), residual_block));
        in_channels = out_channels;
      }
      register_module(fmt::format("stage{}", stage + 1), stage_module);
    }
    if (options.preact) {
      auto final_module = std::make_shared<torch::nn::Module>();
      if (options.batch_norm)
        final_bn_ = final_module->register_module("bn", torch::nn::BatchNorm2d(in_channels));
      final_act_ = final_module->register_module("act", Activation(options.activation));
      register_module("final", final_module);
    }
    classifier_ =
        register_module("classifier", torch::nn::Linear(in_channels, options.num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = stem_conv_->forward(x);
    if (stem_bn_) x = stem_bn_->forward(x);
    if (stem_act_) x = stem_act_->forward(x);
    for (auto& block : blocks_) x = block->forward(x);
    if (final_bn_) x = final_bn_->forward(x);
    if (final_act_) x = final_act_->forward(x);
    return classifier_->forward(x.mean({2, 3}));
  }

  std::vector<torch::Tensor> residual_branch_ends() const override {
    std::vector<torch::Tensor> ends;
    for (const auto& block : blocks_) {
      for (const auto& tensor : block->branch_end()) ends.push_back(tensor);
    }
    return ends;
  }

 private:
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr}, final_bn_{nullptr};
  Activation stem_act_{nullptr}, final_act_{nullptr};
  std::vector<ResidualBlock> blocks_;
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace

ModelDefinition resnet() {
  ModelDefinition d;
  d.name = "resnet";
  d.summary =
      "CIFAR ResNet-20/32/56/110 of He et al. 2016 (depth 6n+2), shortcuts on/off, "
      "pre-activation variant";
  d.layers =
      "stem: conv 3x3 3->W, [bn], act (stem.act); stage1..3 with W, 2W, 4W channels, n basic "
      "blocks each (conv 3x3, [bn], act1, conv 3x3, [bn], + shortcut, act2 -> "
      "stageS.blockB.act1/act2), stride 2 at the first block of stages 2 and 3, option-A "
      "shortcuts (subsample + zero channel padding, no parameters); global average pool; "
      "classifier fc 4W->10. n = (depth - 2) / 6. Defaults depth 20, width W = 16. "
      "--preact (He et al. 2016b, identity mappings): stem conv only; blocks [bn], act1, conv, "
      "[bn], act2, conv, + shortcut, nothing after the addition; final [bn], act (final.act) "
      "before the pool. --zero-init-residual (default on without batch norm): the last conv (or "
      "batch norm) of each branch starts at 0, so every block starts as its shortcut";
  d.default_depth = 20;
  d.default_width = 16;
  d.uses_skip = true;
  d.uses_preact = true;
  d.check_depth = [](int depth) -> std::string {
    return depth >= 8 && (depth - 2) % 6 == 0 ? "" : "resnet depth must be 6n+2: 20, 32, 56, 110";
  };
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<ResNetImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
