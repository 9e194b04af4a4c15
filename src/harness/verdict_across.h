#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/harness/verdict.h"

// Metrics of a seed rather than of a run: the value of a grid axis picked over one seed's runs.
//   "largest lr with train_error_0.75_reached": the largest lr at which the seed's run trained
//     (the rate metric is 1: reached and did not diverge; and it did not end at chance);
//   "lr with lowest train_error_auc": the lr of the seed's best run (diverged runs lose).
// At the grid's largest value either is a lower bound; a best rate at the smallest value has no
// value (the grid does not bracket it); a seed that trains at no rate, or whose best run ended at
// chance, did not train; a seed with a hole in its grid has no value.
// "Which rate is best, which is the largest that trains" (lr_sensitivity) are such questions.
namespace actlab {

struct AcrossMetric {
  std::string axis;      // "lr"
  bool largest = false;  // "largest AXIS with RATE", else "AXIS with lowest METRIC"
  std::string inner;     // the run metric picked by
};

// The metric's parts, or none when it is a run metric.
std::optional<AcrossMetric> parse_across(const std::string& metric);

// One value per seed of `runs` (one group, diverged runs included), in seed order; seeds
// without one are described in `missing` ("seed 3: no finished or diverged run at lr 0.3"),
// those that did not train (final training error >= trained_below) in `untrained`.
struct AcrossValues {
  VerdictGroup group;
  std::vector<std::string> missing, untrained;
};
AcrossValues collect_across(const AcrossMetric& metric, const std::vector<const RunResult*>& runs,
                            double trained_below);

}  // namespace actlab
