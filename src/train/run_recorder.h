#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "src/train/hooks.h"

namespace actlab {

// Writes a run's folder: config.json at the start, metrics.jsonl after every evaluation,
// summary.json at the start (status "running") and at the end. Every write replaces the file
// atomically, so a killed run leaves the last complete version of each. Schemas: docs/records.md.
class RunRecorder : public TrainingHook {
 public:
  // Throws Error when `dir` already holds a run and `overwrite` is false.
  RunRecorder(std::filesystem::path dir, bool overwrite);

  void on_start(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string metrics_lines_;
  std::vector<EpochMetrics> metrics_;
};

}  // namespace actlab
