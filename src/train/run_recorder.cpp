#include "src/train/run_recorder.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "data/manifest.h"
#include "src/core/build_info.h"
#include "src/core/cpus.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/records/run_folder.h"
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

EpochMetrics epoch_metrics_from_json(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int>();
  m.position = j.at("position").get<double>();
  m.epoch_end = j.at("epoch_end").get<bool>();
  m.step = j.at("step").get<int64_t>();
  m.images_seen = j.at("images_seen").get<int64_t>();
  m.train_loss = j.at("train_loss").get<double>();
  m.train_error = j.at("train_error").get<double>();
  if (!j.at("train_loss_running").is_null())
    m.train_loss_running = j.at("train_loss_running").get<double>();
  if (!j.at("train_error_running").is_null())
    m.train_error_running = j.at("train_error_running").get<double>();
  m.test_loss = j.at("test_loss").get<double>();
  m.test_error = j.at("test_error").get<double>();
  m.lr = j.at("lr").get<double>();
  m.seconds = j.at("seconds").get<double>();
  m.images_per_second = j.at("images_per_second").get<double>();
  m.clipped_steps = j.at("clipped_steps").get<int64_t>();
  return m;
}

nlohmann::json to_json(const RunSummary& s) {
  return {{"status", to_string(s.status)},
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
          {"clipped_steps", s.clipped_steps},
          {"stop_reason",
           s.stop_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.stop_reason)},
          {"stop_target_position", optional_json(s.stop_target_position)},
          {"evaluations_past_stop_target", s.evaluations_past_stop_target}};
}

RunSummary summary_from_json(const nlohmann::json& j) {
  RunSummary s;
  const std::string status = j.at("status").get<std::string>();
  const auto parsed = parse_run_status(status);
  if (!parsed) throw Error(fmt::format("a run summary says status '{}', not a run status", status));
  s.status = *parsed;
  s.message = j.at("message").get<std::string>();
  if (!j.at("diverged_step").is_null()) s.diverged_step = j.at("diverged_step").get<int64_t>();
  s.epochs_completed = j.at("epochs_completed").get<int>();
  s.steps = j.at("steps").get<int64_t>();
  s.final_test_error = j.at("final_test_error").get<double>();
  s.best_test_error = j.at("best_test_error").get<double>();
  s.best_epoch = j.at("best_epoch").get<int>();
  s.final_train_error = j.at("final_train_error").get<double>();
  s.total_seconds = j.at("total_seconds").get<double>();
  s.clipped_steps = j.at("clipped_steps").get<int64_t>();
  if (j.contains("stop_reason") && j["stop_reason"].is_string())
    s.stop_reason = j["stop_reason"].get<std::string>();
  if (j.contains("stop_target_position") && !j["stop_target_position"].is_null())
    s.stop_target_position = j["stop_target_position"].get<double>();
  s.evaluations_past_stop_target = j.value("evaluations_past_stop_target", 0);
  return s;
}

RunRecorder::RunRecorder(fs::path dir, Existing existing) : dir_(std::move(dir)) {
  if (existing == Existing::kContinue) return;
  const bool has_run =
      fs::exists(dir_ / record_file::kSummary) || fs::exists(dir_ / record_file::kMetrics);
  if (has_run && existing == Existing::kRefuse) {
    throw Error(
        fmt::format("'{}' already holds a run: choose another --out, or pass --overwrite to "
                    "replace it",
                    dir_.string()));
  }
  std::error_code error;
  // An overwritten run must not leave files of the old one behind (e.g. probes now off).
  for (const char* name :
       {record_file::kConfig, record_file::kMetrics, record_file::kSummary, record_file::kLayers,
        record_file::kHistograms, record_file::kGradients, record_file::kActivationCost, "model.pt",
        "probe_images.json", "checkpoint.pt", "checkpoint.json"}) {
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
      {"cpu_model", cpu_model()},  // one build may give other numbers on another CPU
      {"train_images", context.train_images.size()},
      {"test_images", context.test_images.size()},
      {"parameters", context.model->parameter_count()},
  };
  std::vector<std::string> layers;
  for (const auto& layer : context.model->activation_layers()) layers.push_back(layer.name);
  config["resolved"]["activation_layers"] = layers;
  try {  // which data the numbers came from (data/manifest.h)
    config["resolved"]["data"] = data_provenance(context.config.data_dir);
  } catch (const Error& error) {
    config["resolved"]["data"] = {{"fingerprint", nullptr}, {"error", error.what()}};
  }
  write_file_atomic(dir_ / record_file::kConfig, config.dump(2) + "\n");
  if (!context.resumed) {
    for (auto* sink : sinks_) sink->write_config(config);
  }
  metrics_lines_.clear();
  metrics_.clear();
  if (!context.resumed) write_file_atomic(dir_ / record_file::kMetrics, "");
  RunSummary running;
  write_file_atomic(dir_ / record_file::kSummary, to_json(running).dump(2) + "\n");
}

void RunRecorder::on_evaluation(const TrainingContext&, const EpochMetrics& metrics) {
  metrics_.push_back(metrics);
  metrics_lines_ += to_json(metrics).dump() + "\n";
  write_file_atomic(dir_ / record_file::kMetrics, metrics_lines_);
}

void RunRecorder::save_state(HookState& state) {
  state.values = {{"metrics_lines", metrics_lines_}};
}

namespace {

std::vector<EpochMetrics> parse_metrics_lines(std::string_view lines) {
  std::vector<EpochMetrics> metrics;
  size_t begin = 0;
  for (size_t end; (end = lines.find('\n', begin)) != std::string::npos; begin = end + 1) {
    metrics.push_back(
        epoch_metrics_from_json(nlohmann::json::parse(lines.substr(begin, end - begin))));
  }
  return metrics;
}

}  // namespace

std::string RunRecorder::check_state(const TrainingContext&, const HookState& state) const {
  const auto lines = state.values.find("metrics_lines");
  if (lines == state.values.end() || !lines->is_string()) return "its metrics records are missing";
  try {
    parse_metrics_lines(lines->get<std::string>());
  } catch (const nlohmann::json::exception& error) {
    return fmt::format("its metrics records are damaged: {}", error.what());
  }
  return {};
}

void RunRecorder::restore_state(const TrainingContext&, const HookState& state) {
  metrics_lines_ = state.values.at("metrics_lines").get<std::string>();
  metrics_ = parse_metrics_lines(metrics_lines_);
  write_file_atomic(dir_ / record_file::kMetrics,
                    metrics_lines_);  // drops lines after the checkpoint
}

void RunRecorder::after_finish(const TrainingContext& context, const RunSummary& summary) {
  std::vector<ConvergenceTarget> targets;
  for (const auto& text : context.config.targets) targets.push_back(parse_target(text));
  auto record = to_json(summary);
  record.update(convergence_json(metrics_, targets));
  write_file_atomic(dir_ / record_file::kSummary, record.dump(2) + "\n");
  for (auto* sink : sinks_) sink->write_summary(record);
}

}  // namespace actlab
