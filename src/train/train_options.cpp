#include "src/train/train_options.h"

#include <fmt/format.h>

#include "models/init.h"

namespace actlab {

void add_train_options(CLI::App& command, TrainConfig& c) {
  ModelOptions& m = c.model_options;
  command
      .add_option("--model", c.model,
                  "krizhevsky4 | krizhevsky18pct | krizhevsky80sec | plain | vgg | resnet (`actlab "
                  "list models`)")
      ->capture_default_str()
      ->group("Model");
  command
      .add_option("--activation", m.activation, "activation spec, e.g. relu, leaky_relu:slope=0.2")
      ->capture_default_str()
      ->group("Model");
  command
      .add_flag("--batch-norm,!--no-batch-norm", m.batch_norm, "conv -> batch norm -> activation")
      ->group("Model");
  // 0 stands for "the model's default" inside ModelOptions, so a given 0 would silently train
  // the default network: refuse it here, where "given" is still known.
  command.add_option("--depth", m.depth, "plain: layers; vgg: 11/13/16; resnet: 20/32/56/110")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            return text.find_first_not_of(" +-0") == std::string::npos
                       ? "depth 0 is no network: plain takes 3 or more layers, vgg 11, 13 or "
                         "16, resnet 6n+2 (20, 32, 56, 110), krizhevsky4 a fixed depth (leave "
                         "--depth out for a model's default)"
                       : "";
          },
          "DEPTH"))
      ->group("Model");
  command.add_option("--width", m.width, "channels of the first stage")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            return text.find_first_not_of(" +-0") == std::string::npos
                       ? "width 0 has no channels: give 1 or more (leave --width out for a "
                         "model's default)"
                       : "";
          },
          "WIDTH"))
      ->group("Model");
  command.add_flag("--skip,!--no-skip", m.skip, "resnet shortcuts on (default) or off")
      ->group("Model");
  command.add_flag("--preact", m.preact, "resnet: pre-activation blocks (He et al. 2016b)")
      ->group("Model");
  command
      .add_flag_function(
          "--zero-init-residual,!--no-zero-init-residual",
          [&m](int64_t count) { m.zero_init_residual = count > 0; },
          "resnet: zero the last layer of each residual branch (default: on without batch norm)")
      ->group("Model");
  command
      .add_option("--init", m.init,
                  fmt::format("{}. Default: the model's own (the cfg's Gaussian stds for "
                              "krizhevsky18pct and krizhevsky80sec, auto for the others)",
                              init_help()))
      ->group("Model");
  command
      .add_option("--init-stds", m.init_stds,
                  "Gaussian std per weighted layer in forward order, replacing --init, e.g. "
                  "krizhevsky4 as cuda-convnet: 1e-4,1e-2,1e-2,1e-2")
      ->delimiter(',')
      ->group("Model");
  command
      .add_option("--bias-init", m.bias_init, "bias before each activation (e.g. -3 kills ReLUs)")
      ->capture_default_str()
      ->group("Model");
  command
      .add_option("--bias-init-from", m.bias_init_from,
                  "apply --bias-init only from this weighted layer on (forward order; 0 = all): "
                  "kill late units, leave early ones")
      ->capture_default_str()
      ->group("Model");

  command.add_option("--data", c.data_dir, "prepared CIFAR-10 folder (`actlab data prepare`)")
      ->capture_default_str()
      ->envname("ACTLAB_DATA")
      ->group("Data");
  command.add_option("--train-subset", c.train_subset, "class-balanced training subset, 0 = all")
      ->capture_default_str()
      ->group("Data");
  command.add_option("--test-subset", c.test_subset, "class-balanced test subset, 0 = all")
      ->capture_default_str()
      ->group("Data");
  command
      .add_flag("--partial-data", c.partial_data,
                "accept a data folder whose splits are not CIFAR-10's 50,000 / 10,000 images")
      ->group("Data");
  command
      .add_option("--input-preprocessing", c.input_preprocessing,
                  "standardise ((pixel - channel mean) / channel std) | cuda_convnet (0-255 "
                  "pixels minus the training images' mean image, no division)")
      ->capture_default_str()
      ->group("Data");
  command.add_option("--subset-seed", c.subset_seed, "seed that picks the subsets")
      ->capture_default_str()
      ->group("Data");
  command.add_flag("--augment,!--no-augment", c.augment, "random crop + flip (default on)")
      ->group("Data");
  command
      .add_option("--train-eval-images", c.train_eval_images,
                  "training images the per-epoch train error is measured on, 0 = all")
      ->capture_default_str()
      ->group("Data");
  command
      .add_option("--evals-per-epoch", c.evals_per_epoch,
                  "evaluations (train and test error) per epoch; N > 1 adds N - 1 inside each "
                  "epoch, so convergence targets resolve 1/N epoch")
      ->capture_default_str()
      ->group("Data");

  command.add_option("--epochs", c.epochs, "training epochs")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--batch-size", c.batch_size, "images per step")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--optimizer", c.optimizer, "sgd | adam | adamw")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--lr", c.lr, "peak learning rate")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--momentum", c.momentum, "SGD momentum")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_flag("--nesterov", c.nesterov, "SGD with Nesterov momentum")->group("Optimisation");
  command.add_option("--weight-decay", c.weight_decay, "weight decay")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--schedule", c.schedule, "constant | step | cosine")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--step-epochs", c.step_epochs, "step schedule: epochs between decays")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--step-gamma", c.step_gamma, "step schedule: decay factor")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--warmup-epochs", c.warmup_epochs, "linear warm-up length in epochs")
      ->capture_default_str()
      ->group("Optimisation");
  command.add_option("--clip-norm", c.clip_norm, "clip gradients to this global norm, 0 = off")
      ->capture_default_str()
      ->group("Optimisation");

  command.add_option("--seed", c.seed, "seed for weights, shuffling, augmentation")
      ->capture_default_str()
      ->group("Execution");
  command.add_option("--device", c.device, "auto | cpu | cuda | cuda:N")
      ->capture_default_str()
      ->group("Execution");
  command.add_option("--threads", c.threads, "CPU threads, 0 = all cores")
      ->capture_default_str()
      ->group("Execution");
  command.add_flag("--bf16", c.bf16, "bf16 autocast (CUDA only)")->group("Execution");
  command
      .add_flag("--flush-denormal", c.flush_denormal,
                "flush subnormal floats to zero on the CPU (faster for nets with tiny values)")
      ->group("Execution");
  command
      .add_flag("--cudnn-benchmark", c.cudnn_benchmark,
                "cuDNN times its convolution algorithms per shape and keeps the fastest (CUDA)")
      ->group("Execution");
  command
      .add_flag("--cudnn-deterministic", c.cudnn_deterministic,
                "cuDNN uses deterministic algorithms only (CUDA; may be slower)")
      ->group("Execution");
  command
      .add_flag("--measure-activation-cost", c.measure_activation_cost,
                "before training, time the activation's forward + backward against relu's side "
                "by side on the model's shapes, and its share of a step (activation_cost.json)")
      ->group("Execution");
  command.add_option("--out", c.out_dir, "run folder: config.json, metrics.jsonl, summary.json")
      ->capture_default_str()
      ->group("Execution");
  command.add_flag("--overwrite", c.overwrite, "replace an earlier run in --out")
      ->group("Execution");
  command
      .add_flag("--checkpoints,!--no-checkpoints", c.checkpoints,
                "save --out/checkpoint.pt after every epoch, so --resume continues a killed run "
                "(default on; removed when the run ends)")
      ->group("Execution");
  command
      .add_option("--checkpoint-every-steps", c.checkpoint_every_steps,
                  "also save a checkpoint every K steps (0 = after every epoch only)")
      ->capture_default_str()
      ->group("Execution");
  command
      .add_flag("--tensorboard,!--no-tensorboard", c.tensorboard,
                "also write a TensorBoard event file into --out (default off; sweeps: on)")
      ->group("Execution");

  command
      .add_option("--probe", c.probe,
                  "per-layer probes: off | cheap | full (full adds histograms, update ratios)")
      ->capture_default_str()
      ->group("Probes");
  command.add_option("--probe-images", c.probe_images, "fixed training images the probes run on")
      ->capture_default_str()
      ->group("Probes");
  command
      .add_option("--probe-every-steps", c.probe_every_steps,
                  "also probe after every K steps, 0 = per epoch")
      ->capture_default_str()
      ->group("Probes");
  command
      .add_option("--probe-same-sign-images", c.probe_same_sign_images,
                  "images for the single-image same-sign gradients")
      ->capture_default_str()
      ->group("Probes");
  command
      .add_option("--probe-update-ratio-every", c.probe_update_ratio_every,
                  "full: measure ||dW||/||W|| every N steps")
      ->capture_default_str()
      ->group("Probes");
  command
      .add_flag("--probe-per-step", c.probe_per_step,
                "gradient norms per step, not per-epoch means")
      ->group("Probes");

  command.add_option("--target", c.targets, "convergence target METRIC=VALUE, repeatable")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1)
      ->allow_extra_args(false)
      ->group("Convergence");
  command
      .add_option("--stop-when", c.stop_when,
                  "stop early once METRIC<=VALUE at an evaluation (e.g. train_error<=0.25); the "
                  "run is completed and summary.json says why; off = none (default)")
      ->group("Convergence");
  command
      .add_option("--stop-patience", c.stop_patience,
                  "with --stop-when: evaluations to go on after the first one that meets it")
      ->capture_default_str()
      ->group("Convergence");
}

}  // namespace actlab
