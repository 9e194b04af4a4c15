#pragma once

#include <string>
#include <vector>

#include "src/harness/experiment.h"

namespace actlab {

// What one run is expected to cost on this machine (`actlab run --dry-run`).
struct RunCost {
  double seconds = 0;
  bool at_most = false;  // --stop-when may end the run sooner: the full length is an upper bound
};

// A run's wall seconds on this machine with `threads` threads, from timings taken here once per
// model configuration (remembered for the process): a training step (forward, backward, update)
// at the run's batch size, the evaluation forward pass per image, and one probe of the run's
// probe images; each times how often the run does it (the steps of its epochs over its training
// images, its evaluations, its probes), plus the data loading. Random inputs, no data needed.
// What it cannot see: a net that slows down later (subnormal arithmetic in saturated nets
// without --flush-denormal); other load on the machine while it times moves it less than it
// would move wall time, but does move it.
RunCost estimate_run_cost(const RunSpec& run, int threads);

// `actlab run --dry-run`: prints the estimate of `runs` (a stage's runs still to do), `jobs` at
// a time with `threads` each, in one line, and returns its wall seconds.
double print_stage_estimate(const std::vector<const RunSpec*>& runs, int threads, int jobs);

// "2.5 h", "14 min", "40 s".
std::string format_estimate(double seconds);

}  // namespace actlab
