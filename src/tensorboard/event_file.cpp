#include "src/tensorboard/event_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/tensorboard/crc32c.h"
#include "src/tensorboard/summary.h"

namespace actlab::tensorboard {

namespace {

std::string little_endian(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

std::string tfrecord(std::string_view data) {
  const std::string length = little_endian(data.size(), 8);
  std::string record = length + little_endian(masked_crc32c(length), 4);
  record.append(data.data(), data.size());
  return record + little_endian(masked_crc32c(data), 4);
}

EventFileWriter::EventFileWriter(const std::filesystem::path& dir, double wall_time) {
  path_ = dir / fmt::format("events.out.tfevents.{:010}.{}.{}.actlab",
                            static_cast<int64_t>(wall_time), hostname(), ::getpid());
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) {
    throw Error(
        fmt::format("cannot create TensorBoard event file '{}': {} (check --out, or pass "
                    "--no-tensorboard)",
                    path_.string(), std::strerror(errno)));
  }
  write(file_version_event(wall_time));
  flush();
}

std::string continuation_problem(const std::filesystem::path& path, int64_t bytes) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return "is missing";
  if (bytes < 0 || static_cast<int64_t>(size) < bytes)
    return fmt::format("has {} bytes, the checkpoint counts {}", size, bytes);
  return {};
}

EventFileWriter::EventFileWriter(const std::filesystem::path& path, int64_t bytes) : path_(path) {
  if (const auto problem = continuation_problem(path, bytes); !problem.empty()) {
    throw Error(
        fmt::format("cannot continue TensorBoard event file '{}': it {}", path.string(), problem));
  }
  std::error_code error;
  std::filesystem::resize_file(path, static_cast<uintmax_t>(bytes), error);
  if (error) {
    throw Error(fmt::format("cannot continue TensorBoard event file '{}': {}", path.string(),
                            error.message()));
  }
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) {
    throw Error(fmt::format("cannot append to TensorBoard event file '{}': {}", path_.string(),
                            std::strerror(errno)));
  }
  bytes_written_ = bytes;
}

EventFileWriter::~EventFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventFileWriter::write(std::string_view event) {
  const std::string record = tfrecord(event);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    throw WriteError(path_, errno);
  }
  bytes_written_ += static_cast<int64_t>(record.size());
}

void EventFileWriter::flush() {
  // A full disk shows here, when the buffer goes out: the checkpoint must not count those bytes.
  if (std::fflush(file_) != 0) throw WriteError(path_, errno);
}

}  // namespace actlab::tensorboard
