#include "src/tensorboard/summary.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "src/core/error.h"
#include "src/tensorboard/tensorboard.pb.h"

namespace actlab::tensorboard {

namespace {

namespace pb = actlab::tensorboard::proto;

// Deterministic: map entries (the hparams) in key order, so one configuration always gives the
// same bytes, as TensorBoard's Python writer does with deterministic=True.
std::string serialize(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }  // the stream trims `out` to what was written when it is destroyed
  return out;
}

void set_plugin(pb::SummaryMetadata* metadata, const std::string& name, const std::string& data) {
  metadata->mutable_plugin_data()->set_plugin_name(name);
  metadata->mutable_plugin_data()->set_content(data);
}

// The value of an HParams record: metadata.NULL_TENSOR of tensorboard/plugins/hparams (a float
// tensor of shape [0]) carrying the plugin's message, version 0 (PLUGIN_DATA_VERSION).
std::string hparams_value(std::string_view tag, const pb::HParamsPluginData& data) {
  pb::Summary::Value value;
  value.set_tag(std::string(tag));
  value.mutable_tensor()->set_dtype(pb::DT_FLOAT);
  value.mutable_tensor()->mutable_tensor_shape()->add_dim()->set_size(0);
  set_plugin(value.mutable_metadata(), "hparams", serialize(data));
  return serialize(value);
}

google::protobuf::Value to_value(const std::string& name, const nlohmann::ordered_json& value) {
  google::protobuf::Value out;
  if (value.is_boolean()) {
    out.set_bool_value(value.get<bool>());
  } else if (value.is_number()) {
    out.set_number_value(value.get<double>());
  } else if (value.is_string()) {
    out.set_string_value(value.get<std::string>());
  } else {
    throw Error(
        fmt::format("hparam '{}' is {}, not a string, boolean or number", name, value.type_name()));
  }
  return out;
}

}  // namespace

std::string scalar_value(std::string_view tag, float value) {
  pb::Summary::Value out;
  out.set_tag(std::string(tag));
  out.set_simple_value(value);  // in a oneof, so written even when 0
  return serialize(out);
}

std::string histogram_value(std::string_view tag, const Histogram& h) {
  pb::Summary::Value out;
  out.set_tag(std::string(tag));
  auto* histo = out.mutable_histo();
  histo->set_min(h.min);
  histo->set_max(h.max);
  histo->set_num(h.num);
  histo->set_sum(h.sum);
  histo->set_sum_squares(h.sum_squares);
  histo->mutable_bucket_limit()->Add(h.bucket_limit.begin(), h.bucket_limit.end());
  histo->mutable_bucket()->Add(h.bucket.begin(), h.bucket.end());
  return serialize(out);
}

std::string text_value(std::string_view tag, std::string_view text) {
  pb::Summary::Value out;
  out.set_tag(std::string(tag));
  auto* tensor = out.mutable_tensor();
  tensor->set_dtype(pb::DT_STRING);
  tensor->mutable_tensor_shape();  // rank 0: an empty shape, present
  tensor->add_string_val(std::string(text));
  set_plugin(out.mutable_metadata(), "text", "");
  return serialize(out);
}

std::string hparams_experiment_value(std::string_view name, std::string_view description,
                                     const nlohmann::ordered_json& hparams,
                                     const std::vector<std::string>& varied,
                                     const std::vector<HParamsMetric>& metrics) {
  pb::HParamsPluginData data;
  auto* experiment = data.mutable_experiment();
  experiment->set_name(std::string(name));
  experiment->set_description(std::string(description));
  for (const auto& [key, value] : hparams.items()) {
    auto* info = experiment->add_hparam_infos();
    info->set_name(key);
    info->set_type(value.is_boolean()  ? pb::DATA_TYPE_BOOL
                   : value.is_number() ? pb::DATA_TYPE_FLOAT64
                                       : pb::DATA_TYPE_STRING);
    info->set_differs(std::find(varied.begin(), varied.end(), key) != varied.end());
  }
  for (const auto& metric : metrics) {
    auto* info = experiment->add_metric_infos();
    info->mutable_name()->set_tag(metric.tag);
    info->set_description(metric.description);
  }
  return hparams_value("_hparams_/experiment", data);
}

std::string hparams_session_start_value(const nlohmann::ordered_json& hparams, double start_time) {
  pb::HParamsPluginData data;
  auto* start = data.mutable_session_start_info();
  for (const auto& [key, value] : hparams.items())
    (*start->mutable_hparams())[key] = to_value(key, value);
  start->set_start_time_secs(start_time);
  return hparams_value("_hparams_/session_start_info", data);
}

std::string hparams_session_end_value(SessionStatus status, double end_time) {
  pb::HParamsPluginData data;
  auto* end = data.mutable_session_end_info();
  end->set_status(static_cast<pb::Status>(status));
  end->set_end_time_secs(end_time);
  return hparams_value("_hparams_/session_end_info", data);
}

std::string file_version_event(double wall_time) {
  pb::Event event;
  event.set_wall_time(wall_time);
  event.set_file_version("brain.Event:2");
  return serialize(event);
}

std::string summary_event(double wall_time, int64_t step, const std::vector<std::string>& values) {
  pb::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  auto* summary = event.mutable_summary();
  for (const auto& value : values) {
    if (!summary->add_value()->ParseFromString(value))
      throw Error("internal error: a TensorBoard summary value does not parse");
  }
  return serialize(event);
}

}  // namespace actlab::tensorboard
