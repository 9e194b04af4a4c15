#include "src/probes/quantities/quantities.h"

#include <cmath>

namespace actlab::quantities {

namespace {

// Means and spreads of x and a over every element: act_mean is the zero-centring figure
// (sigmoid's outputs average ~0.5, tanh's ~0), act_abs_max flags blow-up, and
// input_nonneg_fraction is the share of outputs >= 0 that the next layer receives.
class Moments : public LayerQuantity {
 public:
  void add_forward(const ForwardChunk& chunk) override {
    accumulate(x_sum_, sum64(chunk.x));
    accumulate(x_squares_, sum_squares64(chunk.x));
    accumulate(a_sum_, sum64(chunk.a));
    accumulate(a_squares_, sum_squares64(chunk.a));
    accumulate(nonneg_, sum64(chunk.a.ge(0)));
    const auto abs_max = chunk.a.abs().max().to(torch::kFloat64);
    a_abs_max_ = a_abs_max_.defined() ? torch::maximum(a_abs_max_, abs_max) : abs_max;
    count_ += chunk.a.numel();
  }
  void write(const LayerGradients&, nlohmann::json& record) const override {
    const double x_mean = value(x_sum_) / count_;
    const double a_mean = value(a_sum_) / count_;
    record["preact_mean"] = x_mean;
    record["preact_std"] = std_from(value(x_squares_), x_mean);
    record["act_mean"] = a_mean;
    record["act_std"] = std_from(value(a_squares_), a_mean);
    // The typical size of an output (not the extreme one): what "blows up" means for a layer.
    record["act_rms"] = std::sqrt(value(a_squares_) / count_);
    record["act_abs_max"] = value(a_abs_max_);
    record["input_nonneg_fraction"] = value(nonneg_) / count_;
  }

 private:
  // Population standard deviation from the sum of squares.
  double std_from(double squares, double mean) const {
    return std::sqrt(std::max(0.0, squares / count_ - mean * mean));
  }

  torch::Tensor x_sum_, x_squares_, a_sum_, a_squares_, nonneg_, a_abs_max_;
  double count_ = 0;
};

}  // namespace

QuantityDefinition moments() {
  return {"moments",
          {"preact_mean", "preact_std", "act_mean", "act_std", "act_rms", "act_abs_max",
           "input_nonneg_fraction"},
          ProbeLevel::kCheap,
          false,
          [] { return std::make_unique<Moments>(); }};
}

}  // namespace actlab::quantities
