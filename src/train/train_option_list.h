#pragma once

// Every training option, declared once: its config.json field, its command-line name, group and
// help, and how it behaves on resume and in old records. The field itself (type and default) is
// TrainConfig's (or ModelOptions') member; everything else comes from the declaration below:
// `actlab train`'s options (train_options.cpp), config.json's writing and reading (config.cpp),
// what a resumed run may change (checkpoint.cpp) and the experiment files' keys (the harness
// reads them off the command-line options). Adding an option: a member in config.h, one line
// here, its check in resolve() if it has one, and its line in docs/records.md.

#include <functional>
#include <string>

#include "models/init.h"
#include "src/train/config.h"

namespace actlab {

// How one option is shown and recorded.
struct TrainOption {
  std::string field;  // config.json key
  std::string group;  // --help section
  std::string help;
  std::string names;       // CLI11 names; default "--" + field with dashes (negatable: "!--no-...")
  std::string env;         // an environment variable that gives the value (CLI11 envname)
  bool negatable = false;  // a flag with a --no- form
  bool show_default = true;           // --help shows the default
  bool recorded = true;               // written to config.json and read back
  bool added_later = false;           // records made before it lack it: they read as the default
  bool may_differ_on_resume = false;  // where things are, not what is computed
  // What a tuned learning rate depends on (src/harness/tuned_rates.cpp): the net, its input and
  // its updates. By default every Model and Optimisation option; with_shaping() and
  // without_shaping() say otherwise where the group does not.
  bool shapes_training = false;
  // A check of the value as typed, before it is converted ("" = fine; else why not).
  std::function<std::string(const std::string&)> check;

  TrainOption(std::string field_, std::string group_, std::string help_)
      : field(std::move(field_)),
        group(std::move(group_)),
        help(std::move(help_)),
        shapes_training(group == "Model" || group == "Optimisation") {}
  TrainOption& with_names(std::string n) { return names = std::move(n), *this; }
  TrainOption& with_env(std::string e) { return env = std::move(e), *this; }
  TrainOption& with_negation() { return negatable = true, *this; }
  TrainOption& without_default() { return show_default = false, *this; }
  TrainOption& not_recorded() { return recorded = false, *this; }
  TrainOption& since_added() { return added_later = true, *this; }
  TrainOption& resumable_change() { return may_differ_on_resume = true, *this; }
  TrainOption& with_shaping() { return shapes_training = true, *this; }
  TrainOption& without_shaping() { return shapes_training = false, *this; }
  TrainOption& checked(std::function<std::string(const std::string&)> f) {
    return check = std::move(f), *this;
  }
  // The CLI11 names: the given ones, else --FIELD (and --no-FIELD when negatable).
  std::string cli_names() const {
    if (!names.empty()) return names;
    std::string dashed = field;
    for (char& ch : dashed) ch = ch == '_' ? '-' : ch;
    return negatable ? "--" + dashed + ",!--no-" + dashed : "--" + dashed;
  }
};

// The declaration itself: calls visit(option, member) for every option, in --help order.
// `visit` takes each member type of TrainConfig: std::string, bool, int, int64_t, uint64_t,
// double, std::optional<bool>, std::vector<double>, std::vector<std::string>.
template <typename Visit>
void for_each_train_option(TrainConfig& c, Visit&& visit) {
  ModelOptions& m = c.model_options;
  using O = TrainOption;
  // 0 stands for "the model's default" inside ModelOptions, so a given 0 would silently train
  // the default network: refuse it where "given" is still known.
  const auto not_zero = [](std::string why) {
    return [why](const std::string& text) -> std::string {
      return text.find_first_not_of(" +-0") == std::string::npos ? why : "";
    };
  };

  // --- Model
  visit(O("model", "Model",
          "krizhevsky4 | krizhevsky18pct | krizhevsky80sec | plain | vgg | resnet (`actlab list "
          "models`)"),
        c.model);
  visit(O("activation", "Model", "activation spec, e.g. relu, leaky_relu:slope=0.2"), m.activation);
  visit(O("batch_norm", "Model", "conv -> batch norm -> activation").with_negation(), m.batch_norm);
  visit(O("depth", "Model", "plain: layers; vgg: 11/13/16; resnet: 20/32/56/110")
            .without_default()
            .checked(not_zero("depth 0 is no network: plain takes 3 or more layers, vgg 11, 13 "
                              "or 16, resnet 6n+2 (20, 32, 56, 110), krizhevsky4 a fixed depth "
                              "(leave --depth out for a model's default)")),
        m.depth);
  visit(O("width", "Model", "channels of the first stage")
            .without_default()
            .checked(not_zero("width 0 has no channels: give 1 or more (leave --width out for "
                              "a model's default)")),
        m.width);
  visit(O("skip", "Model", "resnet shortcuts on (default) or off").with_negation(), m.skip);
  visit(O("preact", "Model", "resnet: pre-activation blocks (He et al. 2016b)"), m.preact);
  visit(O("zero_init_residual", "Model",
          "resnet: zero the last layer of each residual branch (default: on without batch norm)"),
        m.zero_init_residual);
  visit(O("init", "Model",
          std::string(init_help()) +
              ". Default: the model's own (the cfg's Gaussian stds for krizhevsky18pct and "
              "krizhevsky80sec, auto for the others)")
            .without_default(),
        m.init);
  visit(O("init_stds", "Model",
          "Gaussian std per weighted layer in forward order, replacing --init, e.g. krizhevsky4 "
          "as cuda-convnet: 1e-4,1e-2,1e-2,1e-2"),
        m.init_stds);
  visit(O("bias_init", "Model", "bias before each activation (e.g. -3 kills ReLUs)"), m.bias_init);
  visit(O("bias_init_from", "Model",
          "apply --bias-init only from this weighted layer on (forward order; 0 = all): kill "
          "late units, leave early ones"),
        m.bias_init_from);

  // --- Data
  visit(O("data_dir", "Data", "prepared CIFAR-10 folder (`actlab data prepare`)")
            .with_names("--data")
            .with_env("ACTLAB_DATA")
            .resumable_change(),
        c.data_dir);
  visit(O("train_subset", "Data", "class-balanced training subset, 0 = all"), c.train_subset);
  visit(O("test_subset", "Data", "class-balanced test subset, 0 = all"), c.test_subset);
  visit(O("partial_data", "Data",
          "accept a data folder whose splits are not CIFAR-10's 50,000 / 10,000 images")
            .since_added(),
        c.partial_data);
  visit(O("input_preprocessing", "Data",
          "standardise ((pixel - channel mean) / channel std) | cuda_convnet (0-255 pixels minus "
          "the training images' mean image, no division)")
            .since_added()
            .with_shaping(),
        c.input_preprocessing);
  visit(O("subset_seed", "Data", "seed that picks the subsets"), c.subset_seed);
  visit(O("augment", "Data", "random crop + flip (default on)").with_negation().with_shaping(),
        c.augment);
  visit(O("train_eval_images", "Data",
          "training images the per-epoch train error is measured on, 0 = all"),
        c.train_eval_images);
  visit(O("evals_per_epoch", "Data",
          "evaluations (train and test error) per epoch; N > 1 adds N - 1 inside each epoch, so "
          "convergence targets resolve 1/N epoch"),
        c.evals_per_epoch);

  // --- Optimisation
  visit(O("epochs", "Optimisation", "training epochs").without_shaping(), c.epochs);
  visit(O("batch_size", "Optimisation", "images per step"), c.batch_size);
  visit(O("optimizer", "Optimisation", "sgd | adam | adamw"), c.optimizer);
  visit(O("lr", "Optimisation", "peak learning rate"), c.lr);
  visit(O("momentum", "Optimisation", "SGD momentum"), c.momentum);
  visit(O("nesterov", "Optimisation", "SGD with Nesterov momentum"), c.nesterov);
  visit(O("weight_decay", "Optimisation", "weight decay"), c.weight_decay);
  visit(O("schedule", "Optimisation", "constant | step | cosine"), c.schedule);
  visit(O("step_epochs", "Optimisation", "step schedule: epochs between decays"), c.step_epochs);
  visit(O("step_gamma", "Optimisation", "step schedule: decay factor"), c.step_gamma);
  visit(O("warmup_epochs", "Optimisation", "linear warm-up length in epochs"), c.warmup_epochs);
  visit(O("clip_norm", "Optimisation", "clip gradients to this global norm, 0 = off"), c.clip_norm);

  // --- Execution
  visit(O("seed", "Execution", "seed for weights, shuffling, augmentation"), c.seed);
  visit(O("device", "Execution", "auto | cpu | cuda | cuda:N"), c.device);
  visit(O("threads", "Execution", "CPU threads, 0 = all cores").resumable_change(), c.threads);
  visit(O("bf16", "Execution", "bf16 autocast (CUDA, or a CPU with native bf16)").with_shaping(),
        c.bf16);
  visit(O("flush_denormal", "Execution",
          "flush subnormal floats to zero on the CPU (faster for nets with tiny values)")
            .since_added(),
        c.flush_denormal);
  visit(O("channels_last", "Execution",
          "convolution weights and activations in channels-last (NHWC) memory")
            .since_added(),
        c.channels_last);
  visit(O("cudnn_benchmark", "Execution",
          "cuDNN times its convolution algorithms per shape and keeps the fastest (CUDA)")
            .since_added(),
        c.cudnn_benchmark);
  visit(O("cudnn_deterministic", "Execution",
          "cuDNN uses deterministic algorithms only (CUDA; may be slower)")
            .since_added(),
        c.cudnn_deterministic);
  visit(O("measure_activation_cost", "Execution",
          "before training, time the activation's forward + backward against relu's side by "
          "side on the model's shapes, and its share of a step (activation_cost.json)"),
        c.measure_activation_cost);
  visit(O("out_dir", "Execution", "run folder: config.json, metrics.jsonl, summary.json")
            .with_names("--out")
            .resumable_change(),
        c.out_dir);
  visit(O("overwrite", "Execution", "replace an earlier run in --out").not_recorded(), c.overwrite);
  visit(O("checkpoints", "Execution",
          "save --out/checkpoint.pt after every epoch, so --resume continues a killed run "
          "(default on; removed when the run ends)")
            .with_negation()
            .since_added()
            .resumable_change(),
        c.checkpoints);
  visit(O("checkpoint_every_steps", "Execution",
          "also save a checkpoint every K steps (0 = after every epoch only)")
            .since_added()
            .resumable_change(),
        c.checkpoint_every_steps);
  visit(O("tensorboard", "Execution",
          "also write a TensorBoard event file into --out (default off; sweeps: on)")
            .with_negation(),
        c.tensorboard);

  // --- Probes
  visit(O("probe", "Probes",
          "per-layer probes: off | cheap | full (full adds histograms, update ratios)"),
        c.probe);
  visit(O("probe_images", "Probes", "fixed training images the probes run on"), c.probe_images);
  visit(O("probe_every_steps", "Probes", "also probe after every K steps, 0 = per epoch"),
        c.probe_every_steps);
  visit(O("probe_same_sign_images", "Probes", "images for the single-image same-sign gradients"),
        c.probe_same_sign_images);
  visit(O("probe_update_ratio_every", "Probes", "full: measure ||dW||/||W|| every N steps"),
        c.probe_update_ratio_every);
  visit(O("probe_per_step", "Probes", "gradient norms per step, not per-epoch means"),
        c.probe_per_step);

  // --- Convergence
  visit(O("targets", "Convergence", "convergence target METRIC=VALUE, repeatable")
            .with_names("--target"),
        c.targets);
  visit(O("stop_when", "Convergence",
          "stop early once METRIC<=VALUE at an evaluation (e.g. train_error<=0.25); the run is "
          "completed and summary.json says why; off = none (default)")
            .without_default()
            .since_added(),
        c.stop_when);
  visit(O("stop_patience", "Convergence",
          "with --stop-when: evaluations to go on after the first one that meets it")
            .since_added(),
        c.stop_patience);
}

}  // namespace actlab
