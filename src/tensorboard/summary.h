#pragma once

#include <cstdint>
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

// Serialized Summary.Value messages (tensorboard/compat/proto/summary.proto), one per tag.
std::string scalar_value(std::string_view tag, float value);
std::string histogram_value(std::string_view tag, const Histogram& histogram);
// A rank-0 DT_STRING tensor for the text plugin, which renders it as Markdown.
std::string text_value(std::string_view tag, std::string_view text);

// Serialized Event messages (tensorboard/compat/proto/event.proto).
std::string file_version_event(double wall_time);  // "brain.Event:2", first in every file
std::string summary_event(double wall_time, int64_t step, const std::vector<std::string>& values);

}  // namespace actlab::tensorboard
