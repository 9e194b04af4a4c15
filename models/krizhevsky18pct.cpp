#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"
#include "models/response_norm.h"

namespace actlab::models {

namespace {

// cuda-convnet's layers-18pct.cfg with layer-params-18pct.cfg (dnouri/cuda-convnet,
// example-layers/), the net behind Krizhevsky et al. 2012, Figure 1, layer for layer:
//   conv1  5x5, 3 -> 32, pad 2 -> max pool 3/2 -> act -> rnorm1     (pool1 carries the neuron)
//   conv2  5x5, 32 -> 32, pad 2 -> act -> avg pool 3/2 -> rnorm2
//   conv3  5x5, 32 -> 64, pad 2 -> act -> avg pool 3/2
//   fc10   1024 -> 10
// Pools as cuda-convnet's (models/layers.h convnet_max_pool, convnet_avg_pool). rnorm: size 3,
// scale 5e-5, pow 0.75 (models/response_norm.h). The default init is the cfg's initW (Gaussian stds
// 1e-4, 1e-2, 1e-2, 1e-2; biases 0).
constexpr const char* kLayers18pct =
    "conv1 5x5 3->32 pad 2, [bn], max pool 3/2 (start 0, ceil) -> 16x16, act (conv1.act), "
    "rnorm1 3x3 same-map (scale 5e-5/9, pow 0.75); "
    "conv2 5x5 32->32 pad 2, [bn], act (conv2.act), avg pool 3/2 -> 8x8, rnorm2; "
    "conv3 5x5 32->64 pad 2, [bn], act (conv3.act), avg pool 3/2 -> 4x4; "
    "classifier fc 1024->10. Default init: the cfg's Gaussian stds 1e-4, 1e-2, 1e-2, 1e-2 "
    "(cuda-convnet layers-18pct)";

class Krizhevsky18pctImpl : public NetworkImpl {
 public:
  explicit Krizhevsky18pctImpl(const ModelOptions& options)
      : conv1_(register_module("conv1", ConvUnit(3, 32, 5, options))),
        rnorm1_(register_module("rnorm1", ResponseNorm())),
        conv2_(register_module("conv2", ConvUnit(32, 32, 5, options))),
        rnorm2_(register_module("rnorm2", ResponseNorm())),
        conv3_(register_module("conv3", ConvUnit(32, 64, 5, options))),
        classifier_(
            register_module("classifier", torch::nn::Linear(64 * 4 * 4, options.num_classes))) {}

  torch::Tensor forward(torch::Tensor x) override {
    x = rnorm1_->forward(conv1_->activate(convnet_max_pool(conv1_->pre_activation(x))));
    x = rnorm2_->forward(convnet_avg_pool(conv2_->forward(x)));
    x = convnet_avg_pool(conv3_->forward(x));
    return classifier_->forward(x.flatten(1));
  }

 private:
  ConvUnit conv1_;
  ResponseNorm rnorm1_;
  ConvUnit conv2_;
  ResponseNorm rnorm2_;
  ConvUnit conv3_;
  torch::nn::Linear classifier_;
};

}  // namespace

ModelDefinition krizhevsky18pct() {
  ModelDefinition d;
  d.name = "krizhevsky18pct";
  d.summary =
      "cuda-convnet layers-18pct exactly (3 conv 5x5 + response norm + fc), Krizhevsky et al. "
      "2012 Fig. 1; fixed size";
  d.layers = kLayers18pct;
  d.default_init_stds = {1e-4, 1e-2, 1e-2, 1e-2};  // layers-18pct.cfg initW, forward order
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<Krizhevsky18pctImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
