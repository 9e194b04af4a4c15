#include "src/tensorboard/tensorboard_hook.h"

#include <fmt/format.h>

#include <cfloat>
#include <chrono>

#include "src/core/files.h"
#include "src/records/run_folder.h"
#include "src/tensorboard/hparams.h"
#include "src/tensorboard/summary.h"

namespace actlab {

namespace fs = std::filesystem;
namespace tb = actlab::tensorboard;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Adds the wall time of a scope to a running total.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

// Text renders as Markdown: indenting every line makes the JSON a code block.
std::string as_code_block(const std::string& text) {
  std::string block = "    ";
  for (const char c : text) {
    block += c;
    if (c == '\n') block += "    ";
  }
  return block;
}

// One scalar per numeric field of `record` as <prefix><field><suffix>; positions (epoch, step,
// index) and nulls (quantities not measured at this point) are left out.
void add_scalars(std::vector<std::string>& values, const nlohmann::json& record,
                 const std::string& prefix, const std::string& suffix, bool keep_positions) {
  for (const auto& [key, value] : record.items()) {
    if (!value.is_number()) continue;
    if (!keep_positions && (key == "epoch" || key == "step" || key == "index")) continue;
    values.push_back(tb::scalar_value(prefix + key + suffix, value.get<float>()));
  }
}

// A histograms.jsonl record as TensorBoard buckets: `below` in the bucket up to `low`, the `bins`
// counts, `above` in the bucket up to DBL_MAX. The probe keeps no extremes, so min and max are
// the range widened by one bin; num, sum and sum_squares come from the layer's recorded
// preact_mean and preact_std over the same elements.
tb::Histogram tensorboard_histogram(const nlohmann::json& histogram, const nlohmann::json& layer) {
  const double low = histogram["low"].get<double>();
  const double high = histogram["high"].get<double>();
  const auto counts = histogram["counts"].get<std::vector<double>>();
  const double width = (high - low) / static_cast<double>(counts.size());
  tb::Histogram h;
  h.min = low - width;
  h.max = high + width;
  h.bucket_limit.push_back(low);
  h.bucket.push_back(histogram["below"].get<double>());
  for (size_t i = 0; i < counts.size(); ++i) {
    h.bucket_limit.push_back(i + 1 == counts.size() ? high
                                                    : low + width * static_cast<double>(i + 1));
    h.bucket.push_back(counts[i]);
  }
  h.bucket_limit.push_back(DBL_MAX);
  h.bucket.push_back(histogram["above"].get<double>());
  for (const double count : h.bucket) h.num += count;
  const double mean = layer.value("preact_mean", 0.0);
  const double std = layer.value("preact_std", 0.0);
  h.sum = mean * h.num;
  h.sum_squares = (std * std + mean * mean) * h.num;
  return h;
}

}  // namespace

TensorBoardHook::TensorBoardHook(fs::path dir, std::FILE* progress)
    : dir_(std::move(dir)), progress_(progress) {}

void TensorBoardHook::on_start(const TrainingContext& context) {
  if (context.resumed) return;  // restore_state reopens the run's event file
  const double wall_time = now_seconds();
  {
    ScopedTimer timer(seconds_);
    file_ = std::make_unique<tb::EventFileWriter>(dir_, wall_time);
  }
  if (!pending_config_.is_null()) write_config_event(wall_time);
}

void TensorBoardHook::write_config(const nlohmann::json& config) {
  pending_config_ = config;
  if (file_) write_config_event(now_seconds());  // else on_start writes it
}

// The configuration as text, and the HParams experiment and session start: the sweep wrote
// run.json (its grid values) before starting the run.
void TensorBoardHook::write_config_event(double wall_time) {
  ScopedTimer timer(seconds_);
  const std::string text = pending_config_.dump(2) + "\n";  // config.json's text, byte for byte
  file_->write(tb::summary_event(wall_time, 0, {tb::text_value("config", as_code_block(text))}));
  const auto run = read_json_or_empty(dir_ / record_file::kRun);
  const auto hparams = tb::run_hparams(pending_config_, run);
  std::vector<std::string> targets;
  if (pending_config_.contains("targets"))
    targets = pending_config_["targets"].get<std::vector<std::string>>();
  const std::string experiment = run.value("experiment", "actlab train");
  file_->write(tb::summary_event(
      wall_time, 0,
      {tb::hparams_experiment_value(
           experiment, fmt::format("actlab runs of {}: options and grid values", experiment),
           hparams, tb::varied_hparams(run), tb::summary_metrics(targets)),
       tb::hparams_session_start_value(hparams, wall_time)}));
  file_->flush();
  pending_config_ = nullptr;
}

void TensorBoardHook::on_evaluation(const TrainingContext&, const EpochMetrics& metrics) {
  ScopedTimer timer(seconds_);
  std::vector<std::string> values;
  add_scalars(values, to_json(metrics), "metrics/", "", /*keep_positions=*/true);
  file_->write(tb::summary_event(now_seconds(), metrics.step, values));
  file_->flush();  // a killed run keeps every evaluation written so far
}

void TensorBoardHook::write_probe(int64_t step, const std::vector<nlohmann::json>& records,
                                  const std::vector<nlohmann::json>& histograms) {
  if (!file_ || records.empty()) return;
  ScopedTimer timer(seconds_);
  std::vector<std::string> values;
  for (const auto& record : records) {
    // fmt::format, not "/" + string: GCC 12 in C++20 mode (LibTorch 2.x's) warns a false
    // -Wstringop-overflow on the inlined operator+.
    add_scalars(values, record, "", fmt::format("/{}", record["layer"].get<std::string>()),
                /*keep_positions=*/false);
  }
  for (const auto& histogram : histograms) {
    for (const auto& record : records) {
      if (record["layer"] != histogram["layer"]) continue;
      values.push_back(tb::histogram_value("preact_histogram/" + record["layer"].get<std::string>(),
                                           tensorboard_histogram(histogram, record)));
    }
  }
  file_->write(tb::summary_event(now_seconds(), step, values));
}

void TensorBoardHook::save_state(HookState& state) {
  file_->flush();  // the checkpoint's byte count must be in the file
  state.values = {{"file", file_->path().filename().string()}, {"bytes", file_->bytes_written()}};
}

std::string TensorBoardHook::check_state(const TrainingContext&, const HookState& state) const {
  const auto& v = state.values;
  const auto file = v.find("file");
  const auto bytes = v.find("bytes");
  if (file == v.end() || !file->is_string() || bytes == v.end() || !bytes->is_number_integer()) {
    return "its TensorBoard state lacks a field";
  }
  // A plain name in the run's folder: a checkpoint never points a write anywhere else.
  const fs::path name = file->get<std::string>();
  if (name.filename() != name || name.string().rfind("events.out.tfevents.", 0) != 0)
    return fmt::format("'{}' is not an event file's name", name.string());
  const auto problem = tb::continuation_problem(dir_ / name, bytes->get<int64_t>());
  if (problem.empty()) return {};
  return fmt::format("its TensorBoard event file '{}' {}", name.string(), problem);
}

void TensorBoardHook::restore_state(const TrainingContext&, const HookState& state) {
  file_ = std::make_unique<tb::EventFileWriter>(dir_ / state.values.at("file").get<std::string>(),
                                                state.values.at("bytes").get<int64_t>());
}

// The summary metrics and the session's end, once: an interrupted run is not over (it resumes
// from the checkpoint it saves after this), and TensorBoard keeps a tag's first plugin record.
void TensorBoardHook::write_summary(const nlohmann::json& summary) {
  if (!file_ || summary.value("status", "") == "interrupted") return;
  ScopedTimer timer(seconds_);
  const double wall_time = now_seconds();
  std::vector<std::string> values;
  for (const auto& [tag, value] : tb::summary_metric_values(summary))
    values.push_back(tb::scalar_value(tag, static_cast<float>(value)));
  values.push_back(
      tb::hparams_session_end_value(tb::session_status(summary.value("status", "")), wall_time));
  // The event file mirrors records already written (summary.json is): a full disk here costs the
  // mirror its last event, not the run its outcome.
  try {
    file_->write(tb::summary_event(wall_time, summary.value("steps", int64_t{0}), values));
    file_->flush();
  } catch (const WriteError& error) {
    fmt::print(progress_, "tensorboard: the run's summary is not in the event file: {}\n",
               error.what());
  }
}

void TensorBoardHook::after_finish(const TrainingContext&, const RunSummary&) {
  if (!file_) return;
  file_->flush();
  fmt::print(progress_, "tensorboard: {} ({:.1f} KB, {:.1f} ms writing)\n",
             file_->path().filename().string(), bytes_written() / 1024.0, seconds_ * 1000);
  std::fflush(progress_);
}

}  // namespace actlab
