#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// A channel is dead when |f'(x)| < 1e-8 at every position for every probe image: no gradient
// can pass through it, so it cannot learn its way back (for ReLU: never positive). |f'|, because
// gelu, silu, mish and hardswish pass gradient where f' < 0. For fully connected layers a unit
// is one output feature.
constexpr double kDeadDerivative = 1e-8;

class DeadUnits : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    // alive per position (channel, y, x): any image where the gradient passes.
    const auto alive = chunk.abs_derivative.ge(kDeadDerivative).any(0);
    alive_ = alive_.defined() ? alive_.logical_or(alive) : alive;
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    const auto per_channel = alive_.dim() > 1 ? alive_.flatten(1).any(1) : alive_;
    record["dead_fraction"] = 1.0 - per_channel.to(torch::kFloat64).mean().item<double>();
    record["dead_fraction_units"] = 1.0 - alive_.to(torch::kFloat64).mean().item<double>();
  }

 private:
  torch::Tensor alive_;
};

}  // namespace

QuantityDefinition dead_units() {
  return {"dead_units", {"dead_fraction", "dead_fraction_units"}, ProbeLevel::kCheap, false, [] {
            return std::make_unique<DeadUnits>();
          }};
}

}  // namespace actlab::quantities
