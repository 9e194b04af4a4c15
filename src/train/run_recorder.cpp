#include "src/train/run_recorder.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/train/convergence.h"
#include "src/train/device_data.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"position", m.position},
          {"epoch_end", m.epoch_end},
          {"step", m.step},
          {"images_seen", m.images_seen},
          {"train_loss", m.train_loss},
          {"train_error", m.train_error},
          {"train_loss_running", optional_json(m.train_loss_running)},
          {"train_error_running", optional_json(m.train_error_running)},
          {"test_loss", m.test_loss},
          {"test_error", m.test_error},
          {"lr", m.lr},
          {"seconds", m.seconds},
          {"images_per_second", m.images_per_second},
          {"clipped_steps", m.clipped_steps}};
}

nlohmann::json to_json(const RunSummary& s) {
  return {{"status", s.status},
          {"message", s.message},
          {"diverged_step",
           s.diverged_step ? nlohmann::json(*s.diverged_step) : nlohmann::json(nullptr)},
          {"epochs_completed", s.epochs_completed},
          {"steps", s.steps},
          {"final_test_error", s.final_test_error},
          {"best_test_error", s.best_test_error},
          {"best_epoch", s.best_epoch},
          {"final_train_error", s.final_train_error},
          {"total_seconds", s.total_seconds},
          {"clipped_steps", s.clipped_steps}};
}

RunRecorder::RunRecorder(fs::path dir, bool overwrite) : dir_(std::move(dir)) {
  const bool has_run = fs::exists(dir_ / "summary.json") || fs::exists(dir_ / "metrics.jsonl");
  if (has_run && !overwrite) {
    throw Error(
        fmt::format("'{}' already holds a run: choose another --out, or pass --overwrite to "
                    "replace it",
                    dir_.string()));
  }
  std::error_code error;
  // An overwritten run must not leave files of the old one behind (e.g. probes now off).
  for (const char* name :
       {"config.json", "metrics.jsonl", "summary.json", "layers.jsonl", "histograms.jsonl",
        "gradients.jsonl", "activation_cost.json", "model.pt", "probe_images.json"}) {
    fs::remove(dir_ / name, error);
  }
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      fs::remove(entry.path(), error);
  }
  fs::create_directories(dir_, error);
  if (error) {
    throw Error(
        fmt::format("cannot create output folder '{}': {}", dir_.string(), error.message()));
  }
}

void RunRecorder::on_start(const TrainingContext& context) {
  auto config = to_json(context.config);
  config["device"] = context.device.str();
  config["resolved"] = nlohmann::json{
      {"libtorch_version", torch_version()},
      {"actlab_version", actlab_version()},
      {"git_commit", git_commit()},
      {"device", context.device.str()},
      {"threads", at::get_num_threads()},
      {"train_images", context.train_images.size()},
      {"test_images", context.test_images.size()},
      {"parameters", context.model->parameter_count()},
  };
  std::vector<std::string> layers;
  for (const auto& layer : context.model->activation_layers()) layers.push_back(layer.name);
  config["resolved"]["activation_layers"] = layers;
  write_file_atomic(dir_ / "config.json", config.dump(2) + "\n");
  metrics_lines_.clear();
  metrics_.clear();
  write_file_atomic(dir_ / "metrics.jsonl", "");
  RunSummary running;
  write_file_atomic(dir_ / "summary.json", to_json(running).dump(2) + "\n");
}

void RunRecorder::on_evaluation(const TrainingContext&, const EpochMetrics& metrics) {
  metrics_.push_back(metrics);
  metrics_lines_ += to_json(metrics).dump() + "\n";
  write_file_atomic(dir_ / "metrics.jsonl", metrics_lines_);
}

void RunRecorder::on_finish(const TrainingContext& context, const RunSummary& summary) {
  std::vector<ConvergenceTarget> targets;
  for (const auto& text : context.config.targets) targets.push_back(parse_target(text));
  auto record = to_json(summary);
  record.update(convergence_json(metrics_, targets));
  write_file_atomic(dir_ / "summary.json", record.dump(2) + "\n");
}

}  // namespace actlab
