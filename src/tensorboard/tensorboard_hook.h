#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/records/record_sink.h"
#include "src/tensorboard/event_file.h"
#include "src/train/hooks.h"

namespace actlab {

// Mirrors a run's records into a TensorBoard event file in the run folder: the configuration as
// text (tag `config`), every metrics.jsonl field as a scalar (`metrics/<field>`), every numeric
// layers.jsonl quantity (`<quantity>/<layer>`) and, with --probe full, the pre-activation
// histograms (`preact_histogram/<layer>`), and for TensorBoard's HParams dashboard the run's
// options and grid values as hparams with its summary as metrics (`summary/<field>`, at the
// end; src/tensorboard/hparams.h). It only re-encodes records, which it receives as a
// RecordSink: the configuration and the summary from RunRecorder, each probe pass from
// ProbeHook, and each evaluation as a hook; the order of the hooks does not matter. Tags and
// values: docs/records.md.
class TensorBoardHook : public TrainingHook, public RecordSink {
 public:
  explicit TensorBoardHook(std::filesystem::path dir, std::FILE* progress = stdout);

  void on_start(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  void after_finish(const TrainingContext& context, const RunSummary& summary) override;
  std::string state_key() const override { return "tensorboard"; }
  void save_state(HookState& state) override;
  std::string check_state(const TrainingContext& context, const HookState& state) const override;
  void restore_state(const TrainingContext& context, const HookState& state) override;
  void write_config(const nlohmann::json& config) override;
  void write_probe(int64_t step, const std::vector<nlohmann::json>& layers,
                   const std::vector<nlohmann::json>& histograms) override;
  void write_summary(const nlohmann::json& summary) override;

  // What TensorBoard costs this run: bytes in the event file, wall seconds spent writing it.
  int64_t bytes_written() const { return file_ ? file_->bytes_written() : 0; }
  double seconds() const { return seconds_; }

 private:
  void write_config_event(double wall_time);

  std::filesystem::path dir_;
  nlohmann::json pending_config_;  // received before the event file was open (else null)
  std::FILE* progress_;
  std::unique_ptr<tensorboard::EventFileWriter> file_;
  double seconds_ = 0;
};

}  // namespace actlab
