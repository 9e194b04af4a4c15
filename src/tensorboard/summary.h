#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace actlab::tensorboard {

// TensorBoard's HistogramProto: bucket i counts values in (bucket_limit[i-1], bucket_limit[i]],
// the first from -DBL_MAX; TensorBoard draws the first bucket from `min`, the last up to `max`.
struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit, bucket;
};

// Serialized Summary.Value messages (tensorboard.proto), one per tag.
std::string scalar_value(std::string_view tag, float value);
std::string histogram_value(std::string_view tag, const Histogram& histogram);
// A rank-0 DT_STRING tensor for the text plugin, which renders it as Markdown.
std::string text_value(std::string_view tag, std::string_view text);

// The HParams plugin's records (tags _hparams_/experiment, _hparams_/session_start_info and
// _hparams_/session_end_info), as TensorBoard's hparams summary API writes them: an empty float
// tensor whose metadata carries the plugin's message.
// `hparams`: a JSON object of names to strings, booleans or numbers.
struct HParamsMetric {
  std::string tag;  // a scalar tag of the run's own event file
  std::string description;
};
// `varied`: the hparams that differ between the runs (a sweep's grid values), marked `differs`.
std::string hparams_experiment_value(std::string_view name, std::string_view description,
                                     const nlohmann::ordered_json& hparams,
                                     const std::vector<std::string>& varied,
                                     const std::vector<HParamsMetric>& metrics);
std::string hparams_session_start_value(const nlohmann::ordered_json& hparams, double start_time);
enum class SessionStatus { unknown = 0, success = 1, failure = 2, running = 3 };  // api.proto
std::string hparams_session_end_value(SessionStatus status, double end_time);

// Serialized Event messages (tensorboard.proto).
std::string file_version_event(double wall_time);  // "brain.Event:2", first in every file
std::string summary_event(double wall_time, int64_t step, const std::vector<std::string>& values);

}  // namespace actlab::tensorboard
