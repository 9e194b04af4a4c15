#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// Exactly-zero outputs (ReLU's sparse code) and near-zero ones (|a| < 1e-3, for smooth
// activations that never reach 0).
class Sparsity : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    accumulate(zero_, sum64(chunk.a.eq(0)));
    accumulate(near_zero_, sum64(chunk.a.abs().lt(1e-3)));
    count_ += chunk.a.numel();
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    record["sparsity"] = value(zero_) / count_;
    record["near_zero_fraction"] = value(near_zero_) / count_;
  }

 private:
  torch::Tensor zero_, near_zero_;
  double count_ = 0;
};

}  // namespace

QuantityDefinition sparsity() {
  return {"sparsity", {"sparsity", "near_zero_fraction"}, ProbeLevel::kCheap, false, [] {
            return std::make_unique<Sparsity>();
          }};
}

}  // namespace actlab::quantities
