#include "src/train/config.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "src/core/error.h"
#include "src/train/convergence.h"

namespace actlab {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace

TrainConfig resolve(TrainConfig config) {
  config.model_options = resolve_model_options(config.model, config.model_options);
  require(config.epochs >= 0, fmt::format("--epochs must be >= 0, got {}", config.epochs));
  require(config.batch_size >= 1,
          fmt::format("--batch-size must be >= 1, got {}", config.batch_size));
  require(std::isfinite(config.lr) && config.lr > 0,
          fmt::format("--lr must be a positive number, got {}", config.lr));
  require(config.momentum >= 0 && config.momentum < 1,
          fmt::format("--momentum must be in [0, 1), got {}", config.momentum));
  require(config.weight_decay >= 0,
          fmt::format("--weight-decay must be >= 0, got {}", config.weight_decay));
  require(config.clip_norm >= 0,
          fmt::format("--clip-norm must be >= 0 (0 = off), got {}", config.clip_norm));
  require(config.optimizer == "sgd" || config.optimizer == "adam" || config.optimizer == "adamw",
          fmt::format("unknown --optimizer '{}': valid are sgd, adam, adamw", config.optimizer));
  require(
      config.schedule == "constant" || config.schedule == "step" || config.schedule == "cosine",
      fmt::format("unknown --schedule '{}': valid are constant, step, cosine", config.schedule));
  require(config.step_epochs >= 1,
          fmt::format("--step-epochs must be >= 1, got {}", config.step_epochs));
  require(config.warmup_epochs >= 0,
          fmt::format("--warmup-epochs must be >= 0, got {}", config.warmup_epochs));
  require(config.train_subset >= 0 && config.test_subset >= 0,
          "--train-subset and --test-subset must be >= 0 (0 = whole split)");
  require(config.train_eval_images >= 0,
          "--train-eval-images must be >= 0 (0 = whole training set)");
  require(config.evals_per_epoch >= 1,
          fmt::format("--evals-per-epoch must be >= 1, got {}", config.evals_per_epoch));
  require(config.threads >= 0,
          fmt::format("--threads must be >= 0 (0 = all cores), got {}", config.threads));
  require(config.probe == "off" || config.probe == "cheap" || config.probe == "full",
          fmt::format("unknown --probe '{}': valid are off, cheap, full", config.probe));
  require(config.probe_images >= 1, "--probe-images must be >= 1");
  require(config.probe_every_steps >= 0,
          "--probe-every-steps must be >= 0 (0 = at evaluations only)");
  require(config.probe_same_sign_images >= 0, "--probe-same-sign-images must be >= 0");
  require(config.probe_update_ratio_every >= 1, "--probe-update-ratio-every must be >= 1");
  require(config.checkpoint_every_steps >= 0,
          "--checkpoint-every-steps must be >= 0 (0 = after every epoch only)");
  for (const auto& target : config.targets) parse_target(target);
  require(
      config.input_preprocessing == "standardise" || config.input_preprocessing == "cuda_convnet",
      fmt::format("unknown --input-preprocessing '{}': valid are standardise, cuda_convnet",
                  config.input_preprocessing));
  // "off" says "no condition" where an empty value cannot be written (`--stop-when=` on a command
  // line, an experiment's [tune.set] undoing a base stop_when).
  if (config.stop_when == "off") config.stop_when.clear();
  if (!config.stop_when.empty()) parse_stop_condition(config.stop_when);
  require(config.stop_patience >= 0,
          fmt::format("--stop-patience must be >= 0, got {}", config.stop_patience));
  if (config.threads == 0)
    config.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return config;
}

nlohmann::json to_json(const TrainConfig& c) {
  const ModelOptions& m = c.model_options;
  return {
      {"model", c.model},
      {"activation", m.activation},
      {"batch_norm", m.batch_norm},
      {"init", m.init},
      {"bias_init", m.bias_init},
      {"bias_init_from", m.bias_init_from},
      {"depth", m.depth},
      {"width", m.width},
      {"skip", m.skip},
      {"preact", m.preact},
      {"zero_init_residual", m.zero_init_residual.value_or(false)},
      {"init_stds", m.init_stds},
      {"data_dir", c.data_dir},
      {"train_subset", c.train_subset},
      {"test_subset", c.test_subset},
      {"partial_data", c.partial_data},
      {"input_preprocessing", c.input_preprocessing},
      {"subset_seed", c.subset_seed},
      {"augment", c.augment},
      {"train_eval_images", c.train_eval_images},
      {"evals_per_epoch", c.evals_per_epoch},
      {"epochs", c.epochs},
      {"batch_size", c.batch_size},
      {"optimizer", c.optimizer},
      {"lr", c.lr},
      {"momentum", c.momentum},
      {"nesterov", c.nesterov},
      {"weight_decay", c.weight_decay},
      {"schedule", c.schedule},
      {"step_epochs", c.step_epochs},
      {"step_gamma", c.step_gamma},
      {"warmup_epochs", c.warmup_epochs},
      {"clip_norm", c.clip_norm},
      {"seed", c.seed},
      {"device", c.device},
      {"threads", c.threads},
      {"bf16", c.bf16},
      {"flush_denormal", c.flush_denormal},
      {"cudnn_benchmark", c.cudnn_benchmark},
      {"cudnn_deterministic", c.cudnn_deterministic},
      {"measure_activation_cost", c.measure_activation_cost},
      {"checkpoints", c.checkpoints},
      {"checkpoint_every_steps", c.checkpoint_every_steps},
      {"out_dir", c.out_dir},
      {"tensorboard", c.tensorboard},
      {"probe", c.probe},
      {"probe_images", c.probe_images},
      {"probe_every_steps", c.probe_every_steps},
      {"probe_same_sign_images", c.probe_same_sign_images},
      {"probe_update_ratio_every", c.probe_update_ratio_every},
      {"probe_per_step", c.probe_per_step},
      {"targets", c.targets},
      {"stop_when", c.stop_when},
      {"stop_patience", c.stop_patience},
  };
}

TrainConfig config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  ModelOptions& m = c.model_options;
  try {
    j.at("model").get_to(c.model);
    j.at("activation").get_to(m.activation);
    j.at("batch_norm").get_to(m.batch_norm);
    j.at("init").get_to(m.init);
    j.at("bias_init").get_to(m.bias_init);
    j.at("bias_init_from").get_to(m.bias_init_from);
    j.at("depth").get_to(m.depth);
    j.at("width").get_to(m.width);
    j.at("skip").get_to(m.skip);
    j.at("preact").get_to(m.preact);
    m.zero_init_residual = j.at("zero_init_residual").get<bool>();
    j.at("init_stds").get_to(m.init_stds);
    j.at("data_dir").get_to(c.data_dir);
    j.at("train_subset").get_to(c.train_subset);
    j.at("test_subset").get_to(c.test_subset);
    j.at("subset_seed").get_to(c.subset_seed);
    j.at("augment").get_to(c.augment);
    j.at("train_eval_images").get_to(c.train_eval_images);
    j.at("evals_per_epoch").get_to(c.evals_per_epoch);
    j.at("epochs").get_to(c.epochs);
    j.at("batch_size").get_to(c.batch_size);
    j.at("optimizer").get_to(c.optimizer);
    j.at("lr").get_to(c.lr);
    j.at("momentum").get_to(c.momentum);
    j.at("nesterov").get_to(c.nesterov);
    j.at("weight_decay").get_to(c.weight_decay);
    j.at("schedule").get_to(c.schedule);
    j.at("step_epochs").get_to(c.step_epochs);
    j.at("step_gamma").get_to(c.step_gamma);
    j.at("warmup_epochs").get_to(c.warmup_epochs);
    j.at("clip_norm").get_to(c.clip_norm);
    j.at("seed").get_to(c.seed);
    j.at("device").get_to(c.device);
    j.at("threads").get_to(c.threads);
    j.at("bf16").get_to(c.bf16);
    j.at("measure_activation_cost").get_to(c.measure_activation_cost);
    c.cudnn_benchmark = j.value("cudnn_benchmark", false);
    c.cudnn_deterministic = j.value("cudnn_deterministic", false);
    c.partial_data = j.value("partial_data", false);
    // Fields added later; records made before them ran with these values.
    c.input_preprocessing = j.value("input_preprocessing", std::string("standardise"));
    c.flush_denormal = j.value("flush_denormal", false);
    c.stop_when = j.value("stop_when", std::string());
    c.stop_patience = j.value("stop_patience", 0);
    c.checkpoints = j.value("checkpoints", true);
    c.checkpoint_every_steps = j.value("checkpoint_every_steps", int64_t{0});
    j.at("out_dir").get_to(c.out_dir);
    j.at("tensorboard").get_to(c.tensorboard);
    j.at("probe").get_to(c.probe);
    j.at("probe_images").get_to(c.probe_images);
    j.at("probe_every_steps").get_to(c.probe_every_steps);
    j.at("probe_same_sign_images").get_to(c.probe_same_sign_images);
    j.at("probe_update_ratio_every").get_to(c.probe_update_ratio_every);
    j.at("probe_per_step").get_to(c.probe_per_step);
    j.at("targets").get_to(c.targets);
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format("a recorded configuration is incomplete: {}", error.what()));
  }
  return c;
}

}  // namespace actlab
