#include <torch/torch.h>

#include "models/layers.h"
#include "models/registry.h"

namespace actlab::models {

namespace {

// cuda-convnet's layers-80sec.cfg (dnouri/cuda-convnet, example-layers/; "26% error on CIFAR-10
// in 80 seconds"): layers-18pct without response normalisation, with a hidden fc64 layer.
//   conv1  5x5, 3 -> 32, pad 2 -> max pool 3/2 -> act       (pool1 carries the neuron)
//   conv2  5x5, 32 -> 32, pad 2 -> act -> avg pool 3/2
//   conv3  5x5, 32 -> 64, pad 2 -> act -> avg pool 3/2
//   fc64   1024 -> 64 -> act
//   fc10   64 -> 10
// Pools as cuda-convnet's (models/layers.h: start 0, stride 2, ceil: 32 -> 16 -> 8 -> 4). Default
// init: the cfg's initW, Gaussian stds 1e-4, 1e-2, 1e-2, 0.1, 0.1; biases 0.
constexpr const char* kLayers80sec =
    "conv1 5x5 3->32 pad 2, [bn], max pool 3/2 (start 0, ceil) -> 16x16, act (conv1.act); "
    "conv2 5x5 32->32 pad 2, [bn], act (conv2.act), avg pool 3/2 -> 8x8; "
    "conv3 5x5 32->64 pad 2, [bn], act (conv3.act), avg pool 3/2 -> 4x4; "
    "fc64 fc 1024->64, act (fc64.act); classifier fc 64->10. Default init: the cfg's Gaussian "
    "stds 1e-4, 1e-2, 1e-2, 0.1, 0.1 (cuda-convnet layers-80sec)";

// fully connected -> activation; children "fc" and "act", so the activation is "<unit>.act".
class FcUnitImpl : public torch::nn::Module {
 public:
  FcUnitImpl(int64_t in_features, int64_t out_features, const ModelOptions& options)
      : fc_(register_module("fc", torch::nn::Linear(in_features, out_features))),
        act_(register_module("act", Activation(options.activation))) {}
  torch::Tensor forward(const torch::Tensor& x) { return act_->forward(fc_->forward(x)); }

 private:
  torch::nn::Linear fc_;
  Activation act_;
};
TORCH_MODULE(FcUnit);

class Krizhevsky80secImpl : public NetworkImpl {
 public:
  explicit Krizhevsky80secImpl(const ModelOptions& options)
      : conv1_(register_module("conv1", ConvUnit(3, 32, 5, options))),
        conv2_(register_module("conv2", ConvUnit(32, 32, 5, options))),
        conv3_(register_module("conv3", ConvUnit(32, 64, 5, options))),
        fc64_(register_module("fc64", FcUnit(64 * 4 * 4, 64, options))),
        classifier_(register_module("classifier", torch::nn::Linear(64, options.num_classes))) {}

  torch::Tensor forward(torch::Tensor x) override {
    x = conv1_->activate(convnet_max_pool(conv1_->pre_activation(x)));
    x = convnet_avg_pool(conv2_->forward(x));
    x = convnet_avg_pool(conv3_->forward(x));
    return classifier_->forward(fc64_->forward(x.flatten(1)));
  }

 private:
  ConvUnit conv1_, conv2_, conv3_;
  FcUnit fc64_;
  torch::nn::Linear classifier_;
};

}  // namespace

ModelDefinition krizhevsky80sec() {
  ModelDefinition d;
  d.name = "krizhevsky80sec";
  d.summary = "cuda-convnet layers-80sec exactly (3 conv 5x5 + fc64 + fc), no normalisation";
  d.layers = kLayers80sec;
  d.default_init_stds = {1e-4, 1e-2, 1e-2, 0.1, 0.1};  // layers-80sec.cfg initW, forward order
  d.build = [](const ModelOptions& options) -> Network {
    return std::make_shared<Krizhevsky80secImpl>(options);
  };
  return d;
}

}  // namespace actlab::models
