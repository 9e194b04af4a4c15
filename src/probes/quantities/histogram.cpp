#include "src/probes/quantities/quantities.h"

namespace actlab::quantities {

namespace {

// Counts of pre-activations x in 80 fixed bins of width 0.25 over [-10, 10), plus the counts
// below and above, so plots of every layer and epoch share one axis. Stored in histograms.jsonl.
constexpr double kLow = -10, kHigh = 10;
constexpr int64_t kBins = 80;

class Histogram : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    const auto x = chunk.x.detach().to(torch::kFloat32).flatten();
    const auto counts = torch::histc(x, kBins, kLow, kHigh).to(torch::kFloat64);
    // histc counts x == kHigh into the last bin; keep bins half-open and count it above.
    const auto at_high = sum64(x.eq(kHigh));
    counts_ = counts_.defined() ? counts_ + counts : counts;
    accumulate(below_, sum64(x.lt(kLow)));
    accumulate(above_, sum64(x.gt(kHigh)) + at_high);
    accumulate(at_high_, at_high);
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    auto counts = counts_.cpu();
    counts[kBins - 1] -= value(at_high_);
    std::vector<int64_t> values(kBins);
    for (int64_t i = 0; i < kBins; ++i) values[i] = std::llround(counts[i].item<double>());
    record["histogram"] = {{"low", kLow},
                           {"high", kHigh},
                           {"bins", kBins},
                           {"counts", values},
                           {"below", std::llround(value(below_))},
                           {"above", std::llround(value(above_))}};
  }

 private:
  torch::Tensor counts_, below_, above_, at_high_;
};

}  // namespace

QuantityDefinition histogram() {
  return {"histogram", {"histogram"}, ProbeLevel::kFull, false, [] {
            return std::make_unique<Histogram>();
          }};
}

}  // namespace actlab::quantities
