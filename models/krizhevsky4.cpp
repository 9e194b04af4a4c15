#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"

namespace actlab::models {

namespace {

// cuda-convnet's layers-18pct.cfg (the net behind Krizhevsky et al. 2012, Figure 1) without its
// local response normalisation:
//   conv1  5x5, 3 -> 32, pad 2   -> act -> max pool 3x3 stride 2 (32 -> 16)
//   conv2  5x5, 32 -> 32, pad 2  -> act -> avg pool 3x3 stride 2 (16 -> 8)
//   conv3  5x5, 32 -> 64, pad 2  -> act -> avg pool 3x3 stride 2 (8 -> 4)
//   classifier  fully connected 64*4*4 = 1024 -> 10
constexpr const char* kLayers =
    "conv1 5x5 3->32 pad 2, [bn], act (conv1.act), max pool 3x3/2 -> 16x16; "
    "conv2 5x5 32->32 pad 2, [bn], act (conv2.act), avg pool 3x3/2 -> 8x8; "
    "conv3 5x5 32->64 pad 2, [bn], act (conv3.act), avg pool 3x3/2 -> 4x4; "
    "classifier fc 1024->10 (cuda-convnet layers-18pct without local response norm)";

class Krizhevsky4Impl : public NetworkImpl {
 public:
  explicit Krizhevsky4Impl(const ModelOptions& options)
      : conv1_(register_module("conv1", ConvUnit(3, 32, 5, options))),
        conv2_(register_module("conv2", ConvUnit(32, 32, 5, options))),
        conv3_(register_module("conv3", ConvUnit(32, 64, 5, options))),
        classifier_(
            register_module("classifier", torch::nn::Linear(64 * 4 * 4, options.num_classes))) {}

  torch::Tensor forward(torch::Tensor x) override {
    namespace F = torch::nn::functional;
    const auto pool = F::AvgPool2dFuncOptions(3).stride(2).padding(1).count_include_pad(false);
    x = F::max_pool2d(conv1_->forward(x), F::MaxPool2dFuncOptions(3).stride(2).padding(1));
    x = F::avg_pool2d(conv2_->forward(x), pool);
    x = F::avg_pool2d(conv3_->forward(x), pool);
    return classifier_->forward(x.flatten(1));
  }

 private:
  ConvUnit conv1_, conv2_, conv3_;
  torch::nn::Linear classifier_;
};

}  // namespace

ModelDefinition krizhevsky4() {
  ModelDefinition d;
  d.name = "krizhevsky4";
  d.summary = "4-layer CNN of Krizhevsky et al. 2012, Fig. 1 (3 conv 5x5 + fc), fixed size";
  d.layers = kLayers;
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<Krizhevsky4Impl>(options);
  };
  return d;
}

}  // namespace actlab::models
