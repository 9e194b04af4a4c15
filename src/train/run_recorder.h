#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "src/records/record_sink.h"
#include "src/train/hooks.h"

namespace actlab {

// Writes a run's folder: config.json at the start, metrics.jsonl after every evaluation,
// summary.json at the start (status "running") and at the end. Every write replaces the file
// atomically, so a killed run leaves the last complete version of each. Schemas: docs/records.md.
class RunRecorder : public TrainingHook {
 public:
  // What to do with a run already in the folder.
  enum class Existing { kRefuse, kOverwrite, kContinue };
  // Throws Error when `dir` already holds a run and `existing` is kRefuse. kOverwrite removes the
  // earlier run's records; kContinue keeps them for a resumed run (restore_state rewrites them).
  RunRecorder(std::filesystem::path dir, Existing existing);

  void on_start(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void after_finish(const TrainingContext& context, const RunSummary& summary) override;
  std::string state_key() const override { return "records"; }
  void save_state(HookState& state) override;
  std::string check_state(const TrainingContext& context, const HookState& state) const override;
  void restore_state(const TrainingContext& context, const HookState& state) override;

  const std::filesystem::path& dir() const { return dir_; }
  // Also sends a new run's configuration (config.json's record) to `sink` (TensorBoard).
  void add_sink(RecordSink* sink) { sinks_.push_back(sink); }

 private:
  std::filesystem::path dir_;
  std::string metrics_lines_;
  std::vector<EpochMetrics> metrics_;
  std::vector<RecordSink*> sinks_;
};

}  // namespace actlab
