#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace actlab {

// SHA-256 (FIPS 180-4), so data files can be fingerprinted without another dependency; the
// digests equal `sha256sum`'s.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

std::string sha256_hex(std::string_view data);

// The file's digest, read in 1 MiB pieces; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace actlab
