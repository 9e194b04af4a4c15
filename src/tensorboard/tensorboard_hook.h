#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/tensorboard/event_file.h"
#include "src/train/hooks.h"

namespace actlab {

class ProbeHook;

// Mirrors a run's records into a TensorBoard event file in the run folder: the configuration as
// text (tag `config`), every metrics.jsonl field as a scalar (`metrics/<field>`), every numeric
// layers.jsonl quantity (`<quantity>/<layer>`) and, with --probe full, the pre-activation
// histograms (`preact_histogram/<layer>`). It only re-encodes what RunRecorder and ProbeHook
// recorded (config.json, EpochMetrics, ProbeHook::last_records()), so it must come after them in
// the hook list. Tags and values: docs/records.md.
class TensorBoardHook : public TrainingHook {
 public:
  // `probes` may be null (--probe off).
  TensorBoardHook(std::filesystem::path dir, const ProbeHook* probes, std::FILE* progress = stdout);

  void on_start(const TrainingContext& context) override;
  void after_step(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;
  std::string state_key() const override { return "tensorboard"; }
  void save_state(HookState& state) override;
  std::string check_state(const TrainingContext& context, const HookState& state) const override;
  void restore_state(const TrainingContext& context, const HookState& state) override;

  // What TensorBoard costs this run: bytes in the event file, wall seconds spent writing it.
  int64_t bytes_written() const { return file_ ? file_->bytes_written() : 0; }
  double seconds() const { return seconds_; }

 private:
  void write_new_probes();

  std::filesystem::path dir_;
  const ProbeHook* probes_;
  std::FILE* progress_;
  std::unique_ptr<tensorboard::EventFileWriter> file_;
  int64_t probes_written_ = 0;
  double seconds_ = 0;
};

}  // namespace actlab
