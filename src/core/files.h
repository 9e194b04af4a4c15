#pragma once

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>

#include "src/core/error.h"

namespace actlab {

// A file could not be written (a full disk, an I/O error, no permission). Its own type so that
// the training loop can end a run as `interrupted`, keeping the last good checkpoint, where other
// errors end it as failed. The message names the file and the cause in one line.
class WriteError : public Error {
 public:
  WriteError(const std::filesystem::path& path, int error_number);
  int error_number() const { return error_number_; }
  // Whether the disk itself cannot take more (full, over quota, failing, read only): every later
  // write would fail the same way.
  bool disk_cannot_write() const {
    return error_number_ == ENOSPC || error_number_ == EDQUOT || error_number_ == EIO ||
           error_number_ == EROFS;
  }

 private:
  int error_number_;
};

// The exit code of a command ended by a WriteError: sysexits' EX_TEMPFAIL, "run it again once the
// disk has space". A sweep stops launching runs when one ends with it.
inline constexpr int kWriteFailedExitCode = 75;

// Writes `content` to a temporary file beside `path` and renames it over `path`, so a reader (or
// a killed run) sees either the old file or the new one, never a half-written one. On failure the
// temporary file is removed, the old file is left as it was, and WriteError is thrown. Every
// record, checkpoint, model and report actlab writes goes through here (TensorBoard's event file,
// appended to, and SQLite, which keeps its own journal, are the two exceptions).
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// The whole file; throws actlab::Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace actlab
