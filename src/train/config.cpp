#include "src/train/config.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <type_traits>

#include "src/core/error.h"
#include "src/train/convergence.h"
#include "src/train/train_option_list.h"

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

nlohmann::json to_json(const TrainConfig& config) {
  nlohmann::json record = nlohmann::json::object();
  TrainConfig copy = config;  // the declaration visits members it may change; this only reads
  for_each_train_option(copy, [&record](const TrainOption& option, const auto& value) {
    if (!option.recorded) return;
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::optional<bool>>) {
      record[option.field] = value.value_or(false);  // resolve() has decided it by now
    } else {
      record[option.field] = value;
    }
  });
  return record;
}

TrainConfig config_from_json(const nlohmann::json& record) {
  TrainConfig config;
  try {
    for_each_train_option(config, [&record](const TrainOption& option, auto& value) {
      if (!option.recorded) return;
      // Fields added later: records made before them ran with the default.
      if (option.added_later && !record.contains(option.field)) return;
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, std::optional<bool>>) {
        value = record.at(option.field).get<bool>();
      } else {
        record.at(option.field).get_to(value);
      }
    });
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format("a recorded configuration is incomplete: {}", error.what()));
  }
  return config;
}

bool may_differ_on_resume(const std::string& field) {
  bool may_differ = false;
  TrainConfig config;
  for_each_train_option(config, [&](const TrainOption& option, const auto&) {
    if (option.field == field) may_differ = option.may_differ_on_resume;
  });
  return may_differ;
}

}  // namespace actlab
