#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/harness/verdict.h"

// Metrics of a seed rather than of a run: the value of a grid axis picked over one seed's runs.
//   "largest lr with train_error_0.75_reached": the largest lr at which the seed's run trained
//     (a rate metric: reached and did not diverge); at the grid's largest value a lower bound;
//   "lr with lowest train_error_auc": the lr of the seed's best run (diverged runs lose); at an
//     end of the grid no value, since the grid does not bracket the optimum.
// "Which rate is best, which is the largest that trains" (lr_sensitivity) are such questions.
namespace actlab {

struct AcrossMetric {
  std::string axis;      // "lr"
  bool largest = false;  // "largest AXIS with RATE", else "AXIS with lowest METRIC"
  std::string inner;     // the run metric picked by
};

// The metric's parts, or none when it is a run metric.
std::optional<AcrossMetric> parse_across(const std::string& metric);

// One value per seed of `runs` (one group), in seed order; seeds without one are described in
// `missing` ("seed 3: trains at no lr"), and those whose best run did not leave chance
// (final training error >= trained_below, for a metric of training) in `untrained`.
struct AcrossValues {
  VerdictGroup group;
  std::vector<std::string> missing, untrained;
};
AcrossValues collect_across(const AcrossMetric& metric, const std::vector<const RunResult*>& runs,
                            double trained_below);

}  // namespace actlab
