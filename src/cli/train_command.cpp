#include <fmt/format.h>

#include <optional>

#include "src/cli/commands.h"
#include "src/probes/probe_hook.h"
#include "src/tensorboard/tensorboard_hook.h"
#include "src/train/activation_cost.h"
#include "src/train/progress.h"
#include "src/train/run_recorder.h"
#include "src/train/train_options.h"
#include "src/train/trainer.h"
#include "src/train/weights_hook.h"

namespace actlab::cli {

Action add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train", "Train one model on CIFAR-10, evaluating at epoch 0 and after every epoch");
  auto config = std::make_shared<TrainConfig>();
  add_train_options(*command, *config);
  return [config] {
    const TrainConfig resolved = resolve(*config);
    RunRecorder recorder(resolved.out_dir, resolved.overwrite);
    ProgressPrinter progress;
    WeightsHook weights(resolved.out_dir);  // first: model.pt exists once summary.json says done
    std::vector<TrainingHook*> hooks = {&weights, &recorder, &progress};
    std::optional<ActivationCostHook> cost;
    if (resolved.measure_activation_cost) hooks.push_back(&cost.emplace(resolved.out_dir));
    std::optional<ProbeHook> probes;
    if (resolved.probe != "off") hooks.push_back(&probes.emplace(resolved.out_dir));
    std::optional<TensorBoardHook> tensorboard;  // after the hooks whose records it mirrors
    if (resolved.tensorboard) {
      hooks.push_back(&tensorboard.emplace(resolved.out_dir, probes ? &*probes : nullptr));
    }
    install_interrupt_handler();
    const RunSummary summary = train(resolved, hooks);
    if (summary.status == "diverged") {
      fmt::print(stderr, "actlab: run diverged: {}; records kept in {}\n", summary.message,
                 resolved.out_dir);
      return kExitDiverged;
    }
    if (summary.status == "interrupted") {
      fmt::print(stderr, "actlab: {}; records kept in {}\n", summary.message, resolved.out_dir);
      return kExitInterrupted;
    }
    fmt::print("records in {}\n", resolved.out_dir);
    return 0;
  };
}

}  // namespace actlab::cli
