#include "src/core/files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "src/core/error.h"

namespace actlab {

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  const auto temporary = std::filesystem::path(path).concat(fmt::format(".tmp{}", ::getpid()));
  {
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    if (file == nullptr) {
      throw Error(fmt::format("cannot write '{}': check that its folder exists and is writable",
                              temporary.string()));
    }
    const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
    const bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    std::fclose(file);
    if (!written || !flushed) {
      std::filesystem::remove(temporary);
      throw Error(fmt::format("writing '{}' failed: check free disk space", path.string()));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw Error(fmt::format("cannot replace '{}': {}", path.string(), error.message()));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw Error(fmt::format("cannot read '{}': check the path", path.string()));
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

}  // namespace actlab
