#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "models/network.h"

namespace actlab {

// conv -> [batch norm] -> activation, the unit the plain-style models stack. Children are named
// "conv", "bn", "act", so its activation appears as "<unit>.act".
class ConvUnitImpl : public torch::nn::Module {
 public:
  ConvUnitImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
               const ModelOptions& options);
  torch::Tensor forward(torch::Tensor x);  // activate(pre_activation(x))
  // conv -> [batch norm], and the activation alone: for nets that pool between the two, as
  // cuda-convnet's layers-18pct does after conv1 (its pool1 layer carries the neuron).
  torch::Tensor pre_activation(torch::Tensor x);
  torch::Tensor activate(torch::Tensor x);

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  Activation act_{nullptr};
};
TORCH_MODULE(ConvUnit);

// Stages of 3x3 conv units registered on `parent` as "stage1".."stageS", each holding
// "layer1".."layerL" (so activations are "stageS.layerL.act"); `channels[s][l]` is the output width
// of layer l of stage s. Returns each stage as a Sequential to run in forward order.
std::vector<torch::nn::Sequential> add_conv_stages(
    torch::nn::Module& parent, const std::vector<std::vector<int64_t>>& channels,
    const ModelOptions& options, int64_t in_channels = 3);

// cuda-convnet's pooling layers as layers-18pct/80sec configure them (sizeX 3, stride 2, start 0,
// outputsX 0 = ceil((in - 3) / 2) + 1, layer.py PoolLayerParser): the last window is cut at the
// border (32 -> 16 -> 8 -> 4) and an average divides by the pixels inside it (conv_util.cuh
// kLocalPool, regionSize). That is LibTorch's pooling with padding 0 and ceil_mode.
torch::Tensor convnet_max_pool(const torch::Tensor& x);
torch::Tensor convnet_avg_pool(const torch::Tensor& x);

// A convolution with "same" padding; without bias when batch norm follows (its shift is the bias).
torch::nn::Conv2d make_conv(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            int64_t stride, bool batch_norm);

}  // namespace actlab
