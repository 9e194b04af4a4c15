#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// One criterion for every activation, independent of f': a unit (channel; fully connected: output
// feature) is negative when its pre-activation x < 0 at every position for every probe image.
// For ReLU that is dead (up to x == 0 exactly); leaky ReLU, ELU and the smooth ones still pass
// gradient there, so whether such units come back is what can be measured and can fail.
// Revival and death compare with the earlier probes of the run (the memory): a unit is revived at
// this probe when it was all-negative at one or more earlier probes and is not all-negative now;
// it died during training when it was not all-negative at the run's first probe (at
// initialisation, where the schedule probes step 0) and is all-negative now. A unit negative from
// the start did not die: it was born dead, which is what a very negative bias does.
class NegativeUnits : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    // Per unit: x >= 0 at some position of some image of this chunk.
    auto reached = chunk.x.ge(0).any(0);
    if (reached.dim() > 1) reached = reached.flatten(1).any(1);
    reached_ = reached_.defined() ? reached_.logical_or(reached) : reached;
  }
  void carry(torch::Tensor& memory) override {
    const auto negative = reached_.logical_not();
    // The memory's row 0 holds the units all-negative at the first probe, row 1 those all-negative
    // at any earlier probe; a memory of another shape (a changed model, a checkpoint written
    // before row 0 existed) starts afresh with this probe as the first.
    if (memory.defined() && memory.dim() == negative.dim() + 1 && memory.size(0) == 2 &&
        memory[0].sizes() == negative.sizes()) {
      first_ = memory[0];
      earlier_ = memory[1];
    } else {
      first_ = negative;
      earlier_ = torch::zeros_like(negative);
    }
    memory = torch::stack({first_, earlier_.logical_or(negative)});
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    const auto negative = reached_.logical_not();
    const auto earlier = earlier_.defined() ? earlier_ : torch::zeros_like(negative);
    const auto first = first_.defined() ? first_ : negative;
    const int64_t units = negative.numel();
    const int64_t died = count(first.logical_not().logical_and(negative));
    const int64_t earlier_count = count(earlier);
    const int64_t revived = count(earlier.logical_and(reached_));
    record["units"] = units;
    record["negative_fraction"] = static_cast<double>(count(negative)) / units;
    record["earlier_negative_units"] = earlier_count;
    record["ever_negative_units"] = count(earlier.logical_or(negative));
    record["revived_units"] = revived;
    record["revived_fraction"] = earlier_count > 0
                                     ? nlohmann::json(static_cast<double>(revived) / earlier_count)
                                     : nlohmann::json(nullptr);
    record["first_alive_units"] = units - count(first);
    record["died_units"] = died;
    record["died_fraction"] = static_cast<double>(died) / units;
  }

 private:
  static int64_t count(const torch::Tensor& mask) { return mask.count_nonzero().item<int64_t>(); }

  torch::Tensor reached_;  // per unit: x >= 0 somewhere at this probe
  torch::Tensor earlier_;  // per unit: all-negative at an earlier probe of the run
  torch::Tensor first_;    // per unit: all-negative at the run's first probe
};

}  // namespace

QuantityDefinition negative_units() {
  return {"negative_units",
          {"units", "negative_fraction", "earlier_negative_units", "ever_negative_units",
           "revived_units", "revived_fraction", "first_alive_units", "died_units", "died_fraction"},
          ProbeLevel::kCheap,
          false,
          [] { return std::make_unique<NegativeUnits>(); }};
}

}  // namespace actlab::quantities
