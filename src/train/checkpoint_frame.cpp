#include "src/train/checkpoint_frame.h"

#include <cstdint>

#include "src/core/sha256.h"

namespace actlab {

namespace {

constexpr std::string_view kCheckpointMagic = "ACTLABCK";
constexpr size_t kCheckpointHeader = 8 + 8 + 64;

}  // namespace

std::string frame_checkpoint(std::string_view payload) {
  std::string out(kCheckpointMagic);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  return out.append(sha256_hex(payload)).append(payload);
}

std::string_view checkpoint_payload(std::string_view file) {
  if (file.size() < kCheckpointHeader || file.substr(0, 8) != kCheckpointMagic) return {};
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= uint64_t(static_cast<uint8_t>(file[8 + i])) << (8 * i);
  const std::string_view payload = file.substr(kCheckpointHeader);
  if (payload.size() != length || !same_digest(sha256_hex(payload), file.substr(16, 64))) return {};
  return payload;
}

}  // namespace actlab
