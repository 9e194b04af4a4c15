#include "src/tensorboard/summary.h"

#include <cstring>

#include "src/tensorboard/protobuf.h"

namespace actlab::tensorboard {

namespace {

// Field numbers from tensorboard/compat/proto/{event,summary,histogram,tensor}.proto.
namespace event {
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5;
}
namespace summary_value {
constexpr int kValue = 1;  // Summary.value
constexpr int kTag = 1, kSimpleValue = 2, kHisto = 5, kTensor = 8, kMetadata = 9;
}  // namespace summary_value
namespace histogram {
constexpr int kMin = 1, kMax = 2, kNum = 3, kSum = 4, kSumSquares = 5, kBucketLimit = 6,
              kBucket = 7;
}
namespace tensor {
constexpr int kDtype = 1, kTensorShape = 2, kStringVal = 8;
constexpr int kDtString = 7;  // types.proto DataType.DT_STRING
}  // namespace tensor
namespace metadata {
constexpr int kPluginData = 1, kPluginName = 1;
}

// proto3 leaves out a singular field holding its default (all bits zero).
void double_unless_zero(ProtoWriter& writer, int field, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  if (bits != 0) writer.fixed64(field, value);
}

}  // namespace

std::string scalar_value(std::string_view tag, float value) {
  ProtoWriter writer;
  // simple_value sits in a oneof, so it is written even when 0.
  writer.bytes(summary_value::kTag, tag).fixed32(summary_value::kSimpleValue, value);
  return writer.data();
}

std::string histogram_value(std::string_view tag, const Histogram& h) {
  ProtoWriter histo;
  double_unless_zero(histo, histogram::kMin, h.min);
  double_unless_zero(histo, histogram::kMax, h.max);
  double_unless_zero(histo, histogram::kNum, h.num);
  double_unless_zero(histo, histogram::kSum, h.sum);
  double_unless_zero(histo, histogram::kSumSquares, h.sum_squares);
  histo.packed(histogram::kBucketLimit, h.bucket_limit).packed(histogram::kBucket, h.bucket);
  ProtoWriter writer;
  writer.bytes(summary_value::kTag, tag).bytes(summary_value::kHisto, histo.data());
  return writer.data();
}

std::string text_value(std::string_view tag, std::string_view text) {
  ProtoWriter tensor;
  tensor.varint(tensor::kDtype, tensor::kDtString)
      .bytes(tensor::kTensorShape, "")  // rank 0: an empty TensorShapeProto
      .bytes(tensor::kStringVal, text);
  ProtoWriter plugin;
  plugin.bytes(metadata::kPluginName, "text");
  ProtoWriter summary_metadata;
  summary_metadata.bytes(metadata::kPluginData, plugin.data());
  ProtoWriter writer;
  writer.bytes(summary_value::kTag, tag)
      .bytes(summary_value::kTensor, tensor.data())
      .bytes(summary_value::kMetadata, summary_metadata.data());
  return writer.data();
}

std::string file_version_event(double wall_time) {
  ProtoWriter writer;
  double_unless_zero(writer, event::kWallTime, wall_time);
  writer.bytes(event::kFileVersion, "brain.Event:2");
  return writer.data();
}

std::string summary_event(double wall_time, int64_t step, const std::vector<std::string>& values) {
  ProtoWriter summary;
  for (const auto& value : values) summary.bytes(summary_value::kValue, value);
  ProtoWriter writer;
  double_unless_zero(writer, event::kWallTime, wall_time);
  if (step != 0) writer.varint(event::kStep, static_cast<uint64_t>(step));
  writer.bytes(event::kSummary, summary.data());
  return writer.data();
}

}  // namespace actlab::tensorboard
