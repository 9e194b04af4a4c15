#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "src/probes/layer_binding.h"
#include "src/probes/probe.h"
#include "src/probes/update_path.h"
#include "src/records/record_sink.h"
#include "src/train/hooks.h"

namespace actlab {

// The layers.jsonl fields the hook writes beside the quantities' own (for verdicts' layer
// expressions): train_weight_grad_norm, train_update_ratio, epochs_trained and the weight path's.
const std::vector<std::string>& probe_hook_fields();

// Observes the training loop for the per-layer probes. When: at every evaluation (epoch 0 and
// after each epoch) and, with probe_every_steps K, after every K steps. What: probe_layers() on a
// fixed probe set, plus gradient norms from every step's own gradients and the paths of each
// layer's feeding and consumer weights (update_path.h). Where: DIR/layers.jsonl,
// DIR/histograms.jsonl (full), DIR/gradients.jsonl; schemas in docs/records.md.
class ProbeHook : public TrainingHook {
 public:
  ProbeHook(std::filesystem::path dir, std::FILE* progress = stdout);

  void on_start(const TrainingContext& context) override;
  void after_backward(const TrainingContext& context, const torch::Tensor& loss) override;
  void after_step(const TrainingContext& context) override;
  void on_evaluation(const TrainingContext& context, const EpochMetrics& metrics) override;
  // Writes what was gathered since the last probe (per-step gradient norms up to a divergence).
  void on_finish(const TrainingContext& context, const RunSummary& summary) override;
  std::string state_key() const override { return "probes"; }
  void save_state(HookState& state) override;
  std::string check_state(const TrainingContext& context, const HookState& state) const override;
  void restore_state(const TrainingContext& context, const HookState& state) override;

  // Wall seconds spent probing: all of it, in probe passes (epoch-end and K-step), and in the
  // per-step gradient statistics.
  double seconds() const { return probe_seconds_ + step_seconds_; }
  double probe_seconds() const { return probe_seconds_; }
  int64_t probes_run() const { return probes_run_; }
  double step_seconds() const { return step_seconds_; }
  const std::vector<nlohmann::json>& last_records() const { return last_records_; }
  // Also sends every probe's records to `sink` (TensorBoard) as they are made.
  void add_sink(RecordSink* sink) { sinks_.push_back(sink); }

 private:
  void probe(const TrainingContext& context, int epoch, bool epoch_end);
  void write_files();
  // Reads the pending per-step gradient norms back (one sync) into gradients.jsonl lines.
  void flush_per_step_records();
  // DIR/probe_images.json: which training images the probes use and how they are normalised.
  void write_probe_images(const TrainingContext& context, const torch::Tensor& indices);
  static std::vector<torch::Tensor> feeding_weights(const std::vector<ProbedLayer>& layers);
  static std::vector<torch::Tensor> consumer_weights(const std::vector<ProbedLayer>& layers);

  std::filesystem::path dir_;
  std::FILE* progress_;
  ProbeSettings settings_;
  std::vector<ProbedLayer> layers_;
  std::vector<torch::Tensor> parameters_;
  // Per layer, the position of its feeding weight in parameters_ (parameters_.size() when it has
  // none: that slot of the per-step squares is 0), so layer norms reuse the global norm's squares.
  torch::Tensor feeding_index_;
  torch::Tensor probe_images_, probe_labels_;

  // Per-step statistics since the last epoch-end probe, summed on the device.
  torch::Tensor layer_grad_norm_sum_;   // [layers]
  torch::Tensor global_grad_norm_sum_;  // scalar
  torch::Tensor global_grad_norm_max_;
  int64_t steps_seen_ = 0;
  torch::Tensor update_ratio_sum_;  // [layers], full level only
  int64_t update_ratio_samples_ = 0;
  std::vector<torch::Tensor> weights_before_step_;
  // probe_per_step: each step's norms, [global, layer...] float32 on the device, until written.
  struct PendingStep {
    int epoch;
    int64_t step;
    torch::Tensor global_then_layers;
  };
  std::vector<PendingStep> per_step_;
  ProbeMemory memory_;  // what quantities carry between this run's probes (revival)
  // Since the start of the run: each layer's feeding weight (does it learn?) and its consumer's,
  // the weight whose inputs are this layer's outputs (does it zig-zag?).
  UpdatePath feeding_path_{"weight"}, consumer_path_{"consumer_weight"};

  std::string layer_lines_, histogram_lines_, gradient_lines_;
  std::vector<nlohmann::json> last_records_;
  std::vector<nlohmann::json> last_histograms_;
  std::vector<RecordSink*> sinks_;
  double probe_seconds_ = 0;
  double step_seconds_ = 0;
  int64_t probes_run_ = 0;
};

}  // namespace actlab
