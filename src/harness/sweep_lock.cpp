#include "src/harness/sweep_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "src/core/error.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// The pid the last holder wrote into the lock file ("" when unreadable).
std::string last_holder(int fd) {
  char buffer[32] = {};
  const ssize_t count = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  std::string text(buffer, count > 0 ? static_cast<size_t>(count) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

SweepLock::SweepLock(const fs::path& dir, Mode mode) {
  const fs::path path = dir / "sweep.lock";
  // O_CLOEXEC: the `actlab train` children must not inherit (and so prolong) the lock.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(
        fmt::format("cannot open the sweep lock '{}': {}; check that the folder is writable",
                    path.string(), std::strerror(errno)));
  }
  const int operation = (mode == Mode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(fd_, operation) != 0) {
    const int error = errno;
    const std::string holder = last_holder(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw Error(fmt::format(
          "'{}' is in use by another `actlab run`{}: wait for it to end or stop it (the lock is "
          "released when that process ends), or give another --out",
          dir.string(), holder.empty() ? "" : " (pid " + holder + ")"));
    }
    throw Error(fmt::format("cannot lock '{}': {}", path.string(), std::strerror(error)));
  }
  if (mode == Mode::exclusive && ::ftruncate(fd_, 0) == 0) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // Only informative: the lock holds without it.
    }
  }
}

SweepLock::~SweepLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace actlab
