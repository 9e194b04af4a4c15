#pragma once

#include <cstdint>

namespace actlab {

// With `evals_per_epoch` N > 1 the loop also evaluates inside each epoch: after the first step at
// or past each boundary k/N of the epoch (k = 1..N-1), at most once per step; the epoch's end has
// its own evaluation. `steps_done` counts the epoch's steps taken (1-based).
inline bool evaluates_mid_epoch(int64_t steps_done, int64_t steps_per_epoch, int evals_per_epoch) {
  if (evals_per_epoch <= 1 || steps_done >= steps_per_epoch || steps_done < 1) return false;
  return steps_done * evals_per_epoch / steps_per_epoch >
         (steps_done - 1) * evals_per_epoch / steps_per_epoch;
}

}  // namespace actlab
