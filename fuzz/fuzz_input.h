#pragma once

// What every fuzz target shares: the input as a file in a scratch folder (actlab's readers take
// paths), and the rule that decides a finding. A reader may refuse an input only with
// actlab::Error (one line for the user); any other exception escapes LLVMFuzzerTestOneInput and
// libFuzzer reports it as a crash, as it does an abort or a sanitizer's report.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "src/core/error.h"
#include "src/core/files.h"

namespace actlab::fuzz {

// A folder of this process's own, made once, for the files an input becomes.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("actlab-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at its first `parts - 1` bytes 0x01, for targets that read several files.
inline std::vector<std::string_view> split_input(std::string_view input, size_t parts) {
  std::vector<std::string_view> pieces;
  while (pieces.size() + 1 < parts) {
    const size_t cut = input.find('\x01');
    if (cut == std::string_view::npos) break;
    pieces.push_back(input.substr(0, cut));
    input.remove_prefix(cut + 1);
  }
  pieces.push_back(input);
  pieces.resize(parts);
  return pieces;
}

// Runs `read`; actlab::Error is the one accepted refusal.
template <typename Read>
void expect_only_errors(Read read) {
  try {
    read();
  } catch (const actlab::Error&) {
  }
}

}  // namespace actlab::fuzz
