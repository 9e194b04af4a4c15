#pragma once

#include <filesystem>

namespace actlab {

// One writer per sweep folder: an flock(2) on DIR/sweep.lock, held while the object lives. The
// kernel drops the lock when the process ends in any way (kill -9 included), so no stale lock
// is ever left to clean up; the file itself stays and only tells who held it last.
// A full `actlab run` takes it exclusively; `--only` (one Slurm array task) takes it shared, so
// the tasks of one array run side by side but never beside a full sweep.
class SweepLock {
 public:
  enum class Mode { exclusive, shared };
  // Throws Error ("'DIR' is in use by another `actlab run` (pid N) ...") when the lock is held.
  SweepLock(const std::filesystem::path& dir, Mode mode);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace actlab
