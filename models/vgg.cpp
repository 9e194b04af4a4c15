#include <torch/torch.h>

#include <map>

#include "models/layers.h"
#include "models/registry.h"

namespace actlab::models {

namespace {

// Channels per conv layer in each of the five stages, in units of the base width (64 in
// Simonyan & Zisserman 2015); each stage ends with a 2x2 max pool (32 -> 1).
const std::map<int, std::vector<std::vector<int>>>& vgg_stages() {
  static const std::map<int, std::vector<std::vector<int>>> stages = {
      {11, {{1}, {2}, {4, 4}, {8, 8}, {8, 8}}},
      {13, {{1, 1}, {2, 2}, {4, 4}, {8, 8}, {8, 8}}},
      {16, {{1, 1}, {2, 2}, {4, 4, 4}, {8, 8, 8}, {8, 8, 8}}},
  };
  return stages;
}

class VggImpl : public NetworkImpl {
 public:
  explicit VggImpl(const ModelOptions& options) {
    std::vector<std::vector<int64_t>> channels;
    for (const auto& stage : vgg_stages().at(options.depth)) {
      channels.emplace_back();
      for (int multiple : stage) channels.back().push_back(multiple * options.width);
    }
    stages_ = add_conv_stages(*this, channels, options);
    classifier_ = register_module("classifier",
                                  torch::nn::Linear(channels.back().back(), options.num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    for (auto& stage : stages_) x = torch::max_pool2d(stage->forward(x), 2);
    return classifier_->forward(x.flatten(1));
  }

 private:
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace

ModelDefinition vgg() {
  ModelDefinition d;
  d.name = "vgg";
  d.summary = "VGG-11/13/16 for 32x32 input (Simonyan & Zisserman 2015), one fc classifier";
  d.layers =
      "5 stages of 3x3 conv units ([bn], act -> stageS.layerL.act) with W, 2W, 4W, 8W, 8W "
      "channels (VGG-11: 1,1,2,2,2 layers; 13: 2,2,2,2,2; 16: 2,2,3,3,3), 2x2 max pool after "
      "each stage (32 -> 1); classifier fc 8W->10. Defaults depth 11, width W = 64";
  d.default_depth = 11;
  d.default_width = 64;
  d.check_depth = [](int depth) -> std::string {
    return vgg_stages().count(depth) ? "" : "vgg depth must be 11, 13 or 16";
  };
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<VggImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
