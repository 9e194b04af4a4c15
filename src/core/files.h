#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace actlab {

// Writes `content` to a temporary file beside `path` and renames it over `path`, so a reader (or
// a killed run) sees either the old file or the new one, never a half-written one.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// The whole file; throws actlab::Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace actlab
