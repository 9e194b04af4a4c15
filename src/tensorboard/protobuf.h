#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace actlab::tensorboard {

// Appends protocol-buffer fields in the wire format (varint, 64-bit, 32-bit, length-delimited),
// enough for TensorBoard's Event and Summary messages without a protobuf dependency. Callers
// write fields in field-number order and leave out proto3 defaults (0, "", empty lists) as the
// reference serializer does, so the bytes match it exactly.
class ProtoWriter {
 public:
  ProtoWriter& varint(int field, uint64_t value);                     // int32, int64, enum, bool
  ProtoWriter& fixed64(int field, double value);                      // double
  ProtoWriter& fixed32(int field, float value);                       // float
  ProtoWriter& bytes(int field, std::string_view value);              // string, bytes, messages
  ProtoWriter& packed(int field, const std::vector<double>& values);  // repeated double

  const std::string& data() const { return data_; }

 private:
  void tag(int field, int wire_type);
  void raw_varint(uint64_t value);
  void little_endian(uint64_t bits, int bytes);

  std::string data_;
};

}  // namespace actlab::tensorboard
