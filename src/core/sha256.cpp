#include "src/core/sha256.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <vector>

#include "src/core/error.h"

namespace actlab {

namespace {

// OpenSSL fails only when out of memory or misconfigured (no default provider): say which call.
void check(int ok, const char* call) {
  if (ok != 1)
    throw Error(fmt::format("SHA-256 failed in OpenSSL's {}: check the libcrypto install", call));
}

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr) throw Error("SHA-256: OpenSSL could not allocate a digest context");
  check(EVP_DigestInit_ex(context_, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
}

void Sha256::update(const void* data, size_t size) {
  check(EVP_DigestUpdate(context_, data, size), "EVP_DigestUpdate");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(context_, digest, &length), "EVP_DigestFinal_ex");
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

bool same_digest(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_file(const std::filesystem::path& file) {
  std::FILE* stream = std::fopen(file.c_str(), "rb");
  if (stream == nullptr) {
    throw Error(fmt::format("cannot read '{}' to hash it: check the path and its permissions",
                            file.string()));
  }
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  size_t count = 0;
  while ((count = std::fread(buffer.data(), 1, buffer.size(), stream)) > 0)
    hash.update(buffer.data(), count);
  const bool failed = std::ferror(stream) != 0;
  std::fclose(stream);
  if (failed) throw Error(fmt::format("reading '{}' failed while hashing it", file.string()));
  return hash.hex_digest();
}

}  // namespace actlab
