#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// Where the choice of f'(0) matters ("ReLU is not differentiable at 0"): pre-activations that are
// exactly 0, and among them those whose incoming gradient dL/da is not 0, where ReLU'(0) = 0, 0.5
// or 1 give different backward passes (Bertoin et al. 2021). Per image as well: the share of
// probe images with such a place in this layer. An image's whole backward pass depends on f'(0)
// exactly when some layer has one for it (the nearest to the loss sees the same dL/da under any
// choice), so the maximum over layers is a lower bound of the share of images whose backward
// differs. Measured in the probe's precision (fp32), not in a bf16 run's.
class ExactZeros : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    zero_mask_ = chunk.x.eq(0);
    accumulate(zero_, sum64(zero_mask_));
    count_ += static_cast<double>(chunk.x.numel());
  }
  void add_backward(const torch::Tensor& grad_activation) override {
    // The backward of the chunk whose forward came last (the probe runs one chunk at a time).
    const auto matters = zero_mask_.logical_and(grad_activation.ne(0));
    accumulate(matters_, sum64(matters));
    accumulate(images_, sum64(matters.flatten(1).any(1)));
    images_count_ += static_cast<double>(matters.size(0));
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    record["exact_zero_fraction"] = value(zero_) / count_;
    record["subgradient_matters_fraction"] = value(matters_) / count_;
    record["subgradient_matters_images"] = images_count_ > 0
                                               ? nlohmann::json(value(images_) / images_count_)
                                               : nlohmann::json(nullptr);
  }

 private:
  torch::Tensor zero_mask_, zero_, matters_, images_;
  double count_ = 0, images_count_ = 0;
};

}  // namespace

QuantityDefinition exact_zeros() {
  return {"exact_zeros",
          {"exact_zero_fraction", "subgradient_matters_fraction", "subgradient_matters_images"},
          ProbeLevel::kCheap,
          false,
          [] { return std::make_unique<ExactZeros>(); }};
}

}  // namespace actlab::quantities
