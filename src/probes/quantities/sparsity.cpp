#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// Exactly-zero outputs (ReLU's sparse code) and near-zero ones (|a| < 1e-3, for smooth
// activations that never reach 0). Two criteria that mean the same for every activation, so
// that ReLU, GELU and softplus are compared alike: the share of negative pre-activations (where
// ReLU outputs 0), and the share of outputs small against the layer's own scale (|a| below
// kSmallShare of the RMS of a over the probe chunk, whatever the units).
class Sparsity : public LayerQuantity {
 public:
  static constexpr double kSmallShare = 0.05;

  void add_forward(const ForwardChunk& chunk) override {
    accumulate(zero_, sum64(chunk.a.eq(0)));
    accumulate(near_zero_, sum64(chunk.a.abs().lt(1e-3)));
    accumulate(negative_, sum64(chunk.x.lt(0)));
    const auto rms = chunk.a.to(torch::kFloat64).square().mean().sqrt();
    // <=, so that a layer whose outputs are all 0 (rms 0) counts them all as small.
    accumulate(small_, sum64(chunk.a.abs().to(torch::kFloat64).le(kSmallShare * rms)));
    count_ += chunk.a.numel();
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    record["sparsity"] = value(zero_) / count_;
    record["near_zero_fraction"] = value(near_zero_) / count_;
    record["preact_negative_fraction"] = value(negative_) / count_;
    record["small_output_fraction"] = value(small_) / count_;
  }

 private:
  torch::Tensor zero_, near_zero_, negative_, small_;
  double count_ = 0;
};

}  // namespace

QuantityDefinition sparsity() {
  return {"sparsity",
          {"sparsity", "near_zero_fraction", "preact_negative_fraction", "small_output_fraction"},
          ProbeLevel::kCheap,
          false,
          [] { return std::make_unique<Sparsity>(); }};
}

}  // namespace actlab::quantities
