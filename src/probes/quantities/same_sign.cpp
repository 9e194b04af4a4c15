#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// The argument against non-zero-centred sigmoid: for one example, every weight into a unit of
// the next layer gets an update of the same sign, because the unit's inputs are all positive.
// Measured per image: the fraction of the consuming layer's output units whose single-image
// weight gradient has entries of one sign only (zeros count as either sign), averaged over the
// images. Exact for a fully connected consumer; convolutions sum over positions and blur it.
class SameSign : public LayerQuantity {
 public:
  void write(const LayerGradients& gradients, nlohmann::json& record) const override {
    if (gradients.consumer_grad_per_image.empty()) {
      record["same_sign_fraction"] = nullptr;
      return;
    }
    double total = 0;
    for (const auto& grad : gradients.consumer_grad_per_image) {
      const auto rows = grad.flatten(1);
      const auto one_sign = rows.ge(0).all(1).logical_or(rows.le(0).all(1));
      total += one_sign.to(torch::kFloat64).mean().item<double>();
    }
    record["same_sign_fraction"] = total / gradients.consumer_grad_per_image.size();
  }
};

}  // namespace

QuantityDefinition same_sign() {
  return {"same_sign", {"same_sign_fraction"}, ProbeLevel::kCheap, true, [] {
            return std::make_unique<SameSign>();
          }};
}

}  // namespace actlab::quantities
