#pragma once

#include <cstdio>

#include "src/train/hooks.h"

namespace actlab {

// Prints a header when training starts and one line per evaluation (losses, errors, lr,
// images/s, elapsed and ETA) to `stream`.
class ProgressPrinter : public TrainingHook {
 public:
  explicit ProgressPrinter(std::FILE* stream = stdout) : stream_(stream) {}

  void on_start(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;

 private:
  std::FILE* stream_;
};

// "1:05" / "1:02:03".
std::string format_duration(double seconds);

}  // namespace actlab
