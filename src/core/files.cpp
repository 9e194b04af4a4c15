#include "src/core/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace actlab {

namespace {

std::string write_error_text(const std::filesystem::path& path, int error_number) {
  const char* fix =
      error_number == ENOSPC || error_number == EDQUOT
          ? "free space on its disk"
          : (error_number == EACCES || error_number == EPERM || error_number == EROFS
                 ? "make its folder writable"
                 : (error_number == ENOENT ? "check that its folder exists" : "check the disk"));
  return fmt::format("cannot write '{}': {} ({})", path.string(), std::strerror(error_number), fix);
}

// write(2) until done: a full disk shows as a short write, then ENOSPC.
bool write_all(int descriptor, std::string_view content) {
  while (!content.empty()) {
    const ssize_t written = ::write(descriptor, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = ENOSPC;
      return false;
    }
    content.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

WriteError::WriteError(const std::filesystem::path& path, int error_number)
    : Error(write_error_text(path, error_number)), error_number_(error_number) {}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  const auto temporary = std::filesystem::path(path).concat(fmt::format(".tmp{}", ::getpid()));
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) throw WriteError(path, errno);
  // fsync before the rename: after a crash the new name never points at an empty file.
  const bool written = write_all(descriptor, content) && ::fsync(descriptor) == 0;
  const int write_errno = errno;
  const bool closed = ::close(descriptor) == 0;
  if (!written || !closed) {
    const int cause = written ? errno : write_errno;
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw WriteError(path, cause);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int cause = errno;
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw WriteError(path, cause);
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
