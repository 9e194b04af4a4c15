#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "data/manifest.h"
#include "src/cli/commands.h"
#include "src/core/error.h"
#include "src/harness/results.h"
#include "src/probes/probe_hook.h"
#include "src/tensorboard/tensorboard_hook.h"
#include "src/train/activation_cost.h"
#include "src/train/checkpoint.h"
#include "src/train/checkpoint_hook.h"
#include "src/train/progress.h"
#include "src/train/run_recorder.h"
#include "src/train/train_options.h"
#include "src/train/trainer.h"
#include "src/train/weights_hook.h"

namespace actlab::cli {

namespace fs = std::filesystem;

namespace {

// The configuration a resumed run continues with: the checkpoint's, where the command line may
// change only where things are (data, threads, checkpoint interval). An option given with another
// value than the checkpoint's is refused, naming it.
TrainConfig resume_config(const TrainConfig& command_line, const CheckpointInfo& checkpoint) {
  const auto given = to_json(command_line);
  TrainConfig defaults;
  defaults.out_dir = command_line.out_dir;
  const auto untouched = to_json(resolve(defaults));
  auto saved = checkpoint.config;
  for (const auto& [field, value] : given.items()) {
    if (value == untouched[field] || value == saved[field]) continue;  // not given, or the same
    if (may_differ_on_resume(field)) {
      saved[field] = value;
    } else {
      throw Error(
          fmt::format("cannot resume '{}': its checkpoint has {} {}, the command line "
                      "says {}: drop that option, or start over with --overwrite",
                      command_line.out_dir, field, saved[field].dump(), value.dump()));
    }
  }
  saved["out_dir"] = command_line.out_dir;
  return resolve(config_from_json(saved));
}

}  // namespace

Action add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train", "Train one model on CIFAR-10, evaluating at epoch 0 and after every epoch");
  auto config = std::make_shared<TrainConfig>();
  add_train_options(*command, *config);
  auto resume = std::make_shared<bool>(false);
  command
      ->add_flag("--resume", *resume,
                 "continue the run in --out from its checkpoint (a killed or interrupted run); "
                 "without a checkpoint, start it")
      ->group("Execution");
  return [config, resume] {
    TrainConfig resolved = resolve(*config);
    check_cifar10_data(resolved.data_dir, resolved.partial_data);  // before any earlier run goes
    std::optional<fs::path> resume_from;
    auto existing =
        resolved.overwrite ? RunRecorder::Existing::kOverwrite : RunRecorder::Existing::kRefuse;
    if (*resume && !resolved.overwrite) {
      const fs::path dir = resolved.out_dir;
      const auto status = read_run_status(dir);
      if (is_final(status)) {
        fmt::print("{} already holds a finished run ({}): nothing to resume\n", dir.string(),
                   to_string(*status));
        return 0;
      }
      if (const auto checkpoint = read_checkpoint_info(dir)) {
        resolved = resume_config(resolved, *checkpoint);
        resume_from = dir;
        existing = RunRecorder::Existing::kContinue;
        fmt::print("resuming {} at epoch {}{}, step {}\n", dir.string(),
                   checkpoint->epoch + (checkpoint->in_epoch ? 0 : 1),
                   checkpoint->in_epoch ? " (inside it)" : "", checkpoint->step);
      } else {
        if (status) fmt::print("no checkpoint in {}: starting the run over\n", dir.string());
        existing = RunRecorder::Existing::kOverwrite;
      }
    }
    RunRecorder recorder(resolved.out_dir, existing);
    ProgressPrinter progress;
    WeightsHook weights(resolved.out_dir);  // first: model.pt exists once summary.json says done
    std::vector<TrainingHook*> hooks = {&weights, &recorder, &progress};
    std::optional<ActivationCostHook> cost;
    if (resolved.measure_activation_cost) hooks.push_back(&cost.emplace(resolved.out_dir));
    std::optional<ProbeHook> probes;
    if (resolved.probe != "off") hooks.push_back(&probes.emplace(resolved.out_dir));
    std::optional<TensorBoardHook> tensorboard;
    if (resolved.tensorboard) {
      hooks.push_back(&tensorboard.emplace(resolved.out_dir));
      recorder.add_sink(&*tensorboard);
      if (probes) probes->add_sink(&*tensorboard);
    }
    std::optional<CheckpointHook> checkpoints;  // last: it saves the other hooks' state
    if (resolved.checkpoints) {
      hooks.push_back(
          &checkpoints.emplace(resolved.out_dir, resolved.checkpoint_every_steps, hooks));
    }
    install_interrupt_handler();
    const RunSummary summary = train(resolved, hooks, resume_from);
    if (summary.status == RunStatus::diverged) {
      fmt::print(stderr, "actlab: run diverged: {}; records kept in {}\n", summary.message,
                 resolved.out_dir);
      return kExitDiverged;
    }
    if (summary.write_failed) {
      // What --resume will find: checkpoint.json names the checkpoint (written after it).
      bool resumable = false;
      try {
        resumable = read_checkpoint_info(resolved.out_dir).has_value();
      } catch (const Error&) {
      }
      fmt::print(stderr, "actlab: error: {}; then continue with --resume ({})\n", summary.message,
                 resumable ? "the last good checkpoint is kept"
                           : "no checkpoint had been saved yet: the run starts over");
      return kExitWriteFailed;
    }
    if (summary.status == RunStatus::interrupted) {
      fmt::print(stderr, "actlab: {}; records kept in {}{}\n", summary.message, resolved.out_dir,
                 checkpoints ? " (continue with --resume)" : "");
      return kExitInterrupted;
    }
    fmt::print("records in {}\n", resolved.out_dir);
    return 0;
  };
}

}  // namespace actlab::cli
