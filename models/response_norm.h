#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>

namespace actlab {

// cuda-convnet's same-map response normalisation, layer type `rnorm` (dnouri/cuda-convnet:
// src/cudaconv2/conv_util.cu convResponseNorm -> kCNorm_fewfilter; layer.py NormLayerParser):
//   out = x * (1 + (scale / size^2) * sum of x^2 over the size x size window) ^ -pow
// per channel, the window of pixel p spanning p - size/2 .. p - size/2 + size - 1 (integer
// division), cut at the image border (pixels outside count as 0). The cfg files give `scale`
// undivided; layer.py divides it by size^2 for rnorm (by size for the cross-map cmrnorm), and so
// does this layer. No parameters.
struct ResponseNormOptions {
  int64_t size = 3;     // window side (layers-18pct: 3)
  double scale = 5e-5;  // as written in layer-params-18pct.cfg, before the division by size^2
  double power = 0.75;  // `pow` in the cfg
};

class ResponseNormImpl : public torch::nn::Module {
 public:
  explicit ResponseNormImpl(const ResponseNormOptions& options = {});
  torch::Tensor forward(const torch::Tensor& x);
  const ResponseNormOptions& options() const { return options_; }
  // "rnorm size 3, scale 5e-05/9, pow 0.75", for layer lists.
  std::string describe() const;

 private:
  ResponseNormOptions options_;
};
TORCH_MODULE(ResponseNorm);

}  // namespace actlab
