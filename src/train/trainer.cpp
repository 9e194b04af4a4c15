#include "src/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

#include "src/core/compat.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/train/checkpoint.h"
#include "src/train/convergence.h"
#include "src/train/evaluation.h"
#include "src/train/evaluation_schedule.h"
#include "src/train/finite_check.h"
#include "src/train/gradient_clip.h"
#include "src/train/optimizer.h"
#include "src/train/run_state.h"

namespace actlab {

// --channels-last: 4-d weights (the convolutions') in NHWC memory. oneDNN (and cuDNN) then run
// each convolution channels-last and hand its output on in that layout, so the activations and
// pools between convolutions follow without touching the inputs.
void apply_memory_format(torch::nn::Module& model, const TrainConfig& config) {
  if (!config.channels_last) return;
  torch::NoGradGuard no_grad;
  for (auto& parameter : model.parameters()) {
    if (parameter.dim() == 4)
      parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

RunState initial_state(const TrainConfig& config, torch::Device device) {
  RunState state;
  state.model = build_model(config.model, config.model_options);
  state.model->to(device);
  apply_memory_format(*state.model, config);
  state.optimizer = make_optimizer(config, state.model->parameters());
  return state;
}

// The loop: advances a RunState epoch by epoch, step by step, and tells the hooks. A resumed run
// starts from a checkpoint's state and continues exactly where the saved run stood.
class TrainingLoop {
 public:
  TrainingLoop(const TrainConfig& config, const std::vector<TrainingHook*>& hooks)
      : config_(config),
        hooks_(hooks),
        device_(prepare_process(config)),
        data_(config, device_),
        state_(initial_state(config, device_)),
        context_{config,  state_.model,       *state_.optimizer,
                 device_, data_.train_images, data_.test_images},
        clipper_(config.clip_norm),
        finite_(FiniteCheck::for_device(device_)) {
    if (!config.stop_when.empty()) stop_condition_ = parse_stop_condition(config.stop_when);
    // The last partial batch is dropped: a 1-image batch breaks batch norm.
    batch_size_ = std::min(config.batch_size, data_.train_images.size());
    context_.steps_per_epoch = data_.train_images.size() / batch_size_;
    context_.state = &state_;
  }

  RunSummary run(const std::optional<std::filesystem::path>& resume_from) {
    try {
      train_to_the_end(resume_from);
    } catch (const WriteError& error) {  // a full disk: resumable once there is space again
      fail_to_write(error);
    }
    RunSummary& summary = state_.summary;
    if (summary.status == RunStatus::running) summary.status = RunStatus::completed;
    if (summary.status != RunStatus::completed)
      summary.stop_reason.clear();  // diverged at that evaluation
    summary.steps = state_.step;
    summary.total_seconds = seconds();
    // Only hooks that started (and, resuming, got their state back) finish: the others hold
    // nothing of this run, and finishing them would write empty records over the good ones.
    for (const auto finish : {&TrainingHook::on_finish, &TrainingHook::after_finish}) {
      for (size_t i = 0; i < started_hooks_; ++i) {
        try {
          (hooks_[i]->*finish)(context_, summary);
        } catch (const WriteError& error) {
          fail_to_write(error);  // each hook still gets its chance to finish
        }
      }
    }
    return summary;
  }

 private:
  // A record or checkpoint could not be written: the run's end is not on disk, and it stays
  // resumable from its last good checkpoint. The first failure is the one reported.
  void fail_to_write(const WriteError& error) {
    RunSummary& summary = state_.summary;
    if (summary.write_failed) return;
    summary.status = RunStatus::interrupted;
    summary.message = error.what();
    summary.write_failed = true;
  }

  void train_to_the_end(const std::optional<std::filesystem::path>& resume_from) {
    context_.resumed = resume_from.has_value();
    // Read, checked and applied to the run's own state before any hook starts: a damaged,
    // foreign or unfitting checkpoint stops the run with every record as it was.
    std::unique_ptr<OpenedCheckpoint> checkpoint;
    if (resume_from) {
      checkpoint = open_checkpoint(*resume_from, config_, device_);
      restore_run_state(*checkpoint, context_, state_, hooks_);
      // LibTorch's archive keeps the saved strides, so this changes nothing today; it keeps the
      // layout should a load ever copy into contiguous tensors.
      apply_memory_format(*state_.model, config_);
      context_.epoch = state_.epoch;
      context_.step = state_.step;
    }
    for (auto* hook : hooks_) {
      hook->on_start(context_);
      if (!checkpoint) ++started_hooks_;
    }
    if (checkpoint) {
      for (auto* hook : hooks_) {
        restore_hook_state(*checkpoint, context_, *hook);
        ++started_hooks_;
      }
      restore_generators(*checkpoint);  // last: nothing may draw random numbers after it
    } else {
      EpochMetrics initial;
      initial.lr = learning_rate_at(config_, 0);
      record_evaluation(initial);
    }
    while (state_.summary.status == RunStatus::running &&
           !stopping()) {  // epoch 0 may meet --stop-when
      if (!state_.in_epoch) {
        if (state_.epoch >= config_.epochs) break;
        begin_epoch();
      }
      train_rest_of_epoch();
      if (state_.summary.status != RunStatus::running || stopping()) break;
      end_epoch();
      for (auto* hook : hooks_) hook->on_epoch_end(context_);
      if (stopping()) break;
    }
  }

  double seconds() const { return state_.seconds_before + seconds_since(start_); }

  // --stop-when has ended the run (at the evaluation just made).
  bool stopping() const { return !state_.summary.stop_reason.empty(); }

  // --stop-when: counts evaluations from the first that meets the condition; after
  // --stop-patience more, the run stops there (completed), final_* from that evaluation.
  void observe_stop_condition(const EpochMetrics& metrics) {
    if (!stop_condition_) return;
    RunSummary& summary = state_.summary;
    if (!summary.stop_target_position) {
      if (!reaches(metrics, *stop_condition_)) return;
      summary.stop_target_position = metrics.position;
    } else {
      ++summary.evaluations_past_stop_target;
    }
    if (summary.evaluations_past_stop_target < config_.stop_patience) return;
    summary.stop_reason = fmt::format("target {} reached at epoch {:g}", config_.stop_when,
                                      *summary.stop_target_position);
    if (summary.evaluations_past_stop_target > 0) {
      summary.stop_reason += fmt::format("; stopped {} evaluations later, at epoch {:g}",
                                         summary.evaluations_past_stop_target, metrics.position);
    }
    summary.final_train_error = metrics.train_error;
    summary.final_test_error = metrics.test_error;
  }

  // The fractional epoch after `batches` batches of epoch `epoch` (1-based).
  double position(int epoch, int64_t batches) const {
    return epoch - 1 + static_cast<double>(batches) / context_.steps_per_epoch;
  }

  void record_evaluation(EpochMetrics& metrics) {
    NetworkImpl& model = *state_.model;
    const Evaluation on_train =
        evaluate(model, data_.train_images, data_.train_eval_indices, config_.bf16);
    const Evaluation on_test = evaluate(model, data_.test_images, data_.test_indices, config_.bf16);
    metrics.epoch = state_.epoch;
    metrics.step = state_.step;
    metrics.train_loss = on_train.loss;
    metrics.train_error = on_train.error;
    metrics.test_loss = on_test.loss;
    metrics.test_error = on_test.error;
    metrics.seconds = seconds();
    if (metrics.epoch_end) {
      RunSummary& summary = state_.summary;
      metrics.position = state_.epoch;
      summary.final_test_error = on_test.error;
      summary.final_train_error = on_train.error;
      if (on_test.error < summary.best_test_error || state_.epoch == 0) {
        summary.best_test_error = on_test.error;
        summary.best_epoch = state_.epoch;
      }
    }
    for (auto* hook : hooks_) hook->on_evaluation(context_, metrics);
    observe_stop_condition(metrics);
  }

  void begin_epoch() {
    ++state_.epoch;
    context_.epoch = state_.epoch;
    state_.in_epoch = true;
    EpochProgress& progress = state_.progress;
    progress = EpochProgress{};
    progress.order = torch::randperm(data_.train_images.size(),
                                     torch::TensorOptions().dtype(torch::kInt64).device(device_));
    progress.loss_sum =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
    progress.wrong = torch::zeros_like(progress.loss_sum);
  }

  void train_rest_of_epoch() {
    state_.model->train();
    EpochProgress& progress = state_.progress;
    const double elapsed_before = progress.elapsed_seconds;
    const auto session_start = Clock::now();
    while (progress.batches < context_.steps_per_epoch) {
      if (stop_requested()) {
        if (!settle_device_state()) return;
        state_.summary.status = RunStatus::interrupted;
        state_.summary.message =
            fmt::format("interrupted during epoch {} at step {}", state_.epoch, state_.step);
        return;
      }
      if (!train_step()) return;
      if (evaluates_mid_epoch(progress.batches, context_.steps_per_epoch,
                              config_.evals_per_epoch)) {
        const auto evaluation_start = Clock::now();
        EpochMetrics inside;
        inside.epoch_end = false;
        inside.position = position(state_.epoch, progress.batches);
        inside.images_seen = state_.images_seen + progress.images;
        inside.lr = learning_rate_at(config_, position(state_.epoch, progress.batches - 1));
        // The epoch's batches so far, as trained: read from the device here only, where the
        // evaluation waits for it anyway.
        const auto images = static_cast<double>(std::max<int64_t>(1, progress.images));
        inside.train_loss_running = progress.loss_sum.item<double>() / images;
        inside.train_error_running = progress.wrong.item<double>() / images;
        record_evaluation(inside);  // evaluate() puts the model back in training mode
        progress.evaluation_seconds += seconds_since(evaluation_start);
      }
      progress.elapsed_seconds = elapsed_before + seconds_since(session_start);
      if (checkpoint_may_follow() && !settle_device_state()) return;
      for (auto* hook : hooks_) hook->after_step(context_);
      if (stopping()) return settle_device_state_for_stop();
    }
    if (!settle_device_state()) return;
    compat::synchronize_cuda();
    progress.elapsed_seconds = elapsed_before + seconds_since(session_start);
  }

  // One optimizer step on the next batch of the epoch's order; false when the loss is not finite
  // (the run has diverged and the step was not taken).
  bool train_step() {
    EpochProgress& progress = state_.progress;
    auto& optimizer = *state_.optimizer;
    const double lr = learning_rate_at(config_, position(state_.epoch, progress.batches));
    set_learning_rate(optimizer, lr);
    const auto indices = progress.order.slice(0, progress.batches * batch_size_,
                                              (progress.batches + 1) * batch_size_);
    const auto labels = data_.train_images.labels().index_select(0, indices);
    const auto inputs = data_.train_images.batch(indices, config_.augment);

    optimizer.zero_grad();
    const auto logits = [&] {
      compat::AutocastScope autocast(context_.device.type(), config_.bf16);
      return state_.model->forward(inputs).to(torch::kFloat32);
    }();
    const auto loss = torch::cross_entropy_loss(logits, labels);
    if (const auto bad = finite_.observe(loss, state_.step + 1)) {
      diverge(*bad);
      return false;
    }
    loss.backward();
    for (auto* hook : hooks_) hook->after_backward(context_, loss);
    if (config_.clip_norm > 0) clipper_.clip(state_.model->parameters());  // no host sync
    optimizer.step();
    context_.step = ++state_.step;
    ++progress.batches;
    progress.images += indices.size(0);
    progress.loss_sum += loss.detach().to(torch::kFloat64) * indices.size(0);
    progress.wrong += logits.detach().argmax(1).ne(labels).sum().to(torch::kFloat64);
    return true;
  }

  void end_epoch() {
    EpochProgress& progress = state_.progress;
    RunSummary& summary = state_.summary;
    const double train_seconds = progress.elapsed_seconds - progress.evaluation_seconds;
    state_.images_seen += progress.images;
    state_.in_epoch = false;
    summary.clipped_steps += progress.clipped;

    EpochMetrics metrics;
    metrics.images_seen = state_.images_seen;
    const auto images = static_cast<double>(std::max<int64_t>(1, progress.images));
    metrics.train_loss_running = progress.loss_sum.item<double>() / images;
    metrics.train_error_running = progress.wrong.item<double>() / images;
    metrics.lr = learning_rate_at(config_, position(state_.epoch, context_.steps_per_epoch - 1));
    metrics.images_per_second = progress.images / std::max(1e-9, train_seconds);
    metrics.clipped_steps = progress.clipped;
    record_evaluation(metrics);
    summary.epochs_completed = state_.epoch;
    if (!std::isfinite(metrics.test_loss)) {
      summary.status = RunStatus::diverged;
      summary.diverged_step = state_.step;
      summary.message =
          fmt::format("test loss became {} after epoch {}: lower --lr or set --clip-norm",
                      metrics.test_loss, state_.epoch);
    }
  }

  // Reads back what the device holds for the epoch (clipped steps, a non-finite loss not yet
  // seen): at the epoch's end, and before hooks that may save a checkpoint. False when a
  // non-finite loss turned up (CUDA reads the loss every N steps only); the run has diverged.
  bool settle_device_state() {
    state_.progress.clipped += clipper_.take_clipped_steps();
    if (const auto bad = finite_.flush()) {
      diverge(*bad);
      return false;
    }
    return true;
  }

  // A run stopped inside an epoch: what the device still holds for it (clipped steps, a
  // non-finite loss not yet read back) is settled; such a loss makes the run diverged after all.
  void settle_device_state_for_stop() {
    if (!settle_device_state()) state_.summary.stop_reason.clear();
    state_.summary.clipped_steps += state_.progress.clipped;
    compat::synchronize_cuda();
  }

  bool checkpoint_may_follow() const {
    const int64_t every = config_.checkpoint_every_steps;
    return config_.checkpoints && every > 0 && state_.step % every == 0;
  }

  void diverge(const NonFiniteLoss& bad) {
    state_.summary.status = RunStatus::diverged;
    state_.summary.diverged_step = bad.step;
    state_.summary.message =
        fmt::format("loss became {} at step {} (epoch {}): lower --lr or set --clip-norm", bad.loss,
                    bad.step, state_.epoch);
  }

  const TrainConfig& config_;
  const std::vector<TrainingHook*>& hooks_;
  const Clock::time_point start_ = Clock::now();
  torch::Device device_;
  TrainingData data_;
  RunState state_;
  TrainingContext context_;
  GradientClipper clipper_;  // clips on the device; counts clipped steps there
  FiniteCheck finite_;       // reads the loss back every step on CPU, every N on CUDA
  std::optional<ConvergenceTarget> stop_condition_;  // --stop-when
  int64_t batch_size_ = 0;
  size_t started_hooks_ = 0;  // hooks_[0, started_hooks_) have started (resuming: and restored)
};

}  // namespace

RunSummary train(const TrainConfig& config, const std::vector<TrainingHook*>& hooks,
                 const std::optional<std::filesystem::path>& resume_from) {
  TrainingLoop loop(config, hooks);
  return loop.run(resume_from);
}

}  // namespace actlab
