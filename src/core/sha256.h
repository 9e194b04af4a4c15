#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace actlab {

// SHA-256 by OpenSSL's libcrypto (EVP digests), so data files and checkpoints can be
// fingerprinted; the digests equal `sha256sum`'s.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  evp_md_ctx_st* context_;
};

std::string sha256_hex(std::string_view data);

// Whether two digests are equal, compared in constant time by OpenSSL's CRYPTO_memcmp, never by
// memcmp: libFuzzer intercepts memcmp and hands the expected digest to its mutator, which then
// forges checkpoint frames whose payload reaches LibTorch's archive reader, and that reader is
// not memory-safe on crafted input (a SEGV inside libtorch_cpu, found so by CI's fuzz_checkpoint).
// A digest guards against damage (truncation, flipped bits), not against a forged file.
bool same_digest(std::string_view a, std::string_view b);

// The file's digest, read in 1 MiB pieces; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace actlab
