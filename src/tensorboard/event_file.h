#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace actlab::tensorboard {

// One TFRecord: uint64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of the
// data (all little-endian).
std::string tfrecord(std::string_view data);

// An event file as TensorBoard names and reads it: DIR/events.out.tfevents.<seconds>.<host>
// .<pid>.actlab, starting with the file_version event. Records are appended, not rewritten:
// TensorBoard keeps the file open and reads it as it grows, and every record carries its own
// checksums, so a run killed mid-write leaves complete records and at most one torn last record,
// which readers skip.
// Why the event file `path` cannot be continued after its first `bytes` bytes ("is missing",
// "has N bytes, the checkpoint counts M"); empty when it can.
std::string continuation_problem(const std::filesystem::path& path, int64_t bytes);

class EventFileWriter {
 public:
  // Throws actlab::Error when the file cannot be created.
  explicit EventFileWriter(const std::filesystem::path& dir, double wall_time);
  // Continues the event file `path` after its first `bytes` bytes (a resumed run: records written
  // after its checkpoint are dropped, as the run writes them again). Throws actlab::Error when the
  // file is missing or shorter than `bytes`.
  EventFileWriter(const std::filesystem::path& path, int64_t bytes);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  void write(std::string_view event);  // one serialized Event
  void flush();                        // to the operating system, so readers see it

  const std::filesystem::path& path() const { return path_; }
  int64_t bytes_written() const { return bytes_written_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  int64_t bytes_written_ = 0;
};

}  // namespace actlab::tensorboard
