#include "src/tensorboard/protobuf.h"

#include <cstring>

namespace actlab::tensorboard {

namespace {

constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

}  // namespace

void ProtoWriter::tag(int field, int wire_type) {
  raw_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void ProtoWriter::raw_varint(uint64_t value) {
  while (value >= 0x80) {
    data_ += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  data_ += static_cast<char>(value);
}

// Explicit byte order, so the files are the same on any host.
void ProtoWriter::little_endian(uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) data_ += static_cast<char>((bits >> (8 * i)) & 0xFF);
}

ProtoWriter& ProtoWriter::varint(int field, uint64_t value) {
  tag(field, kVarint);
  raw_varint(value);
  return *this;
}

ProtoWriter& ProtoWriter::fixed64(int field, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  tag(field, kFixed64);
  little_endian(bits, 8);
  return *this;
}

ProtoWriter& ProtoWriter::fixed32(int field, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  tag(field, kFixed32);
  little_endian(bits, 4);
  return *this;
}

ProtoWriter& ProtoWriter::bytes(int field, std::string_view value) {
  tag(field, kLengthDelimited);
  raw_varint(value.size());
  data_.append(value.data(), value.size());
  return *this;
}

ProtoWriter& ProtoWriter::packed(int field, const std::vector<double>& values) {
  if (values.empty()) return *this;
  ProtoWriter body;
  for (const double value : values) {
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    body.little_endian(bits, 8);
  }
  return bytes(field, body.data_);
}

}  // namespace actlab::tensorboard
