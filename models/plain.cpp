#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"

namespace actlab::models {

namespace {

// `depth` 3x3 conv units of constant width, split as evenly as possible into three stages with a
// 2x2 max pool between stages (32 -> 16 -> 8), then global average pooling and one linear
// classifier. No shortcuts: the network for depth sweeps (vanishing gradients).
class PlainImpl : public NetworkImpl {
 public:
  explicit PlainImpl(const ModelOptions& options) {
    std::vector<std::vector<int64_t>> channels(3);
    for (int stage = 0; stage < 3; ++stage) {
      const int layers = options.depth / 3 + (stage < options.depth % 3 ? 1 : 0);
      channels[stage].assign(layers, options.width);
    }
    stages_ = add_conv_stages(*this, channels, options);
    classifier_ =
        register_module("classifier", torch::nn::Linear(options.width, options.num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    for (size_t stage = 0; stage < stages_.size(); ++stage) {
      if (stage > 0) x = torch::max_pool2d(x, 2);
      x = stages_[stage]->forward(x);
    }
    return classifier_->forward(x.mean({2, 3}));
  }

 private:
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace

ModelDefinition plain() {
  ModelDefinition d;
  d.name = "plain";
  d.summary = "N 3x3 conv layers of width W in 3 stages, no shortcuts (depth sweeps)";
  d.layers =
      "stage1..3: depth/3 conv units each (3x3, width W, [bn], act -> stageS.layerL.act), "
      "2x2 max pool between stages; global average pool; classifier fc W->10. "
      "Defaults depth 8, width 32";
  d.default_depth = 8;
  d.default_width = 32;
  d.check_depth = [](int depth) -> std::string {
    return depth >= 3 ? "" : "plain needs at least 3 layers (one per stage)";
  };
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<PlainImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
