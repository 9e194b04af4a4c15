#include "src/train/checkpoint_hook.h"

#include "src/train/checkpoint.h"
#include "src/train/run_state.h"

namespace actlab {

CheckpointHook::CheckpointHook(std::filesystem::path dir, int64_t every_steps,
                               std::vector<TrainingHook*> hooks)
    : dir_(std::move(dir)), every_steps_(every_steps), hooks_(std::move(hooks)) {}

void CheckpointHook::after_step(const TrainingContext& context) {
  // The epoch's last step is followed by its evaluation: the epoch-end checkpoint covers it.
  const bool epoch_done = context.state->progress.batches == context.steps_per_epoch;
  if (every_steps_ > 0 && context.step % every_steps_ == 0 && !epoch_done) save(context);
}

void CheckpointHook::on_epoch_end(const TrainingContext& context) {
  if (context.state->summary.status == RunStatus::running) save(context);
}

void CheckpointHook::after_finish(const TrainingContext& context, const RunSummary& summary) {
  if (summary.write_failed) return;  // the last good checkpoint stays; this moment may be torn
  if (summary.status == RunStatus::interrupted) {
    save(context);
  } else {
    remove_checkpoint(dir_);
  }
}

void CheckpointHook::save(const TrainingContext& context) {
  save_checkpoint(dir_, context.config, *context.state, hooks_);
  ++saves_;
}

}  // namespace actlab
