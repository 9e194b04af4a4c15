#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// saturation_fraction: outputs where |f'(x)| < 5% of the activation's largest |f'| (sigmoid and
// tanh tails, ReLU's negative side; |f'| because f' < 0 still passes gradient, as gelu's does).
// mean_derivative: the mean factor f'(x) by which the layer scales the backward signal, signed
// (0.25 is sigmoid's best case); mean_abs_derivative: the mean of |f'(x)|, its size.
class Saturation : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    accumulate(saturated_, sum64(chunk.abs_derivative.lt(0.05 * chunk.max_abs_derivative)));
    accumulate(derivative_sum_, sum64(chunk.derivative));
    accumulate(abs_derivative_sum_, sum64(chunk.abs_derivative));
    count_ += chunk.derivative.numel();
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    record["saturation_fraction"] = value(saturated_) / count_;
    record["mean_derivative"] = value(derivative_sum_) / count_;
    record["mean_abs_derivative"] = value(abs_derivative_sum_) / count_;
  }

 private:
  torch::Tensor saturated_, derivative_sum_, abs_derivative_sum_;
  double count_ = 0;
};

}  // namespace

QuantityDefinition saturation() {
  return {"saturation",
          {"saturation_fraction", "mean_derivative", "mean_abs_derivative"},
          ProbeLevel::kCheap,
          false,
          [] { return std::make_unique<Saturation>(); }};
}

}  // namespace actlab::quantities
