#include "src/probes/quantities/quantities.h"

#include <cmath>

namespace actlab::quantities {

namespace {

// grad_act_rms: the root mean square of dL/da over every element, L the mean cross-entropy of
// the probe set; its first/last layer ratio is the vanishing (or exploding) gradient figure.
// grad_weight_norm: the L2 norm of dL/dW for the conv/linear that feeds the layer.
class GradientFlow : public LayerQuantity {
 public:
  void add_backward(const torch::Tensor& grad) override {
    accumulate(squares_, sum64(grad.square()));
    count_ += grad.numel();
  }
  void write(const LayerGradients& gradients, nlohmann::json& record) const override {
    record["grad_act_rms"] = count_ > 0 ? std::sqrt(value(squares_) / count_) : 0.0;
    record["grad_weight_norm"] = gradients.feeding_weight_grad.defined()
                                     ? gradients.feeding_weight_grad.norm().item<double>()
                                     : 0.0;
  }

 private:
  torch::Tensor squares_;
  double count_ = 0;
};

}  // namespace

QuantityDefinition gradient_flow() {
  return {"gradient_flow", {"grad_act_rms", "grad_weight_norm"}, ProbeLevel::kCheap, false, [] {
            return std::make_unique<GradientFlow>();
          }};
}

}  // namespace actlab::quantities
