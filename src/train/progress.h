#pragma once

#include <chrono>
#include <cstdio>

#include "src/train/hooks.h"

namespace actlab {

// Prints a header when training starts and one line per evaluation (losses, errors, lr,
// images/s, elapsed and ETA) to `stream`. When `stream` is a terminal (and not under CI), a line
// redrawn in place at most every 0.5 s also shows the step, images/s and ETA within the epoch;
// logs and pipes get the per-epoch lines only.
class ProgressPrinter : public TrainingHook {
 public:
  explicit ProgressPrinter(std::FILE* stream = stdout);

  void on_start(const TrainingContext& context) override;
  void after_step(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;

 private:
  using Clock = std::chrono::steady_clock;
  void clear_live_line();

  std::FILE* stream_;
  bool live_;  // redraw a line in place within epochs
  bool live_line_shown_ = false;
  int epoch_ = 0;  // the epoch the live line's clock belongs to
  Clock::time_point epoch_start_, last_draw_;
};

// Whether `stream` is an interactive terminal: a TTY, TERM not "dumb", and no CI variable set.
bool is_interactive(std::FILE* stream);

// "1:05" / "1:02:03".
std::string format_duration(double seconds);

}  // namespace actlab
