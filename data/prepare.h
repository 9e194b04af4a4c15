#pragma once

#include <filesystem>
#include <string>

namespace actlab {

struct PrepareOptions {
  // Accept splits of any size (a subset on purpose); without it a split that is not CIFAR-10's
  // 50,000 / 10,000 images (5,000 / 1,000 per class) is an error.
  bool partial = false;
};

struct PrepareReport {
  std::string source;  // "binary" (official batches) or "image folder"
  int64_t train_images = 0;
  int64_t test_images = 0;
  std::string fingerprint;          // manifest.json "fingerprint" (data/manifest.h)
  std::string content_fingerprint;  // manifest.json "content_fingerprint"
};

// Writes the CIFAR-10 binary layout into `to` from `from`: the official cifar-10-binary.tar.gz,
// a .tar.gz of an image folder (train/<class>/*.jpg, test/<class>/*.jpg), or either unpacked.
// Image folders are shuffled with a fixed seed so every preparation writes identical files.
// Writes `to`/prepare-incomplete.txt before the first data file and manifest.json after the
// last, then removes the marker, so a killed preparation is never taken for complete.
// Throws Error naming the problem and the fix (one line: tar's own messages are captured).
PrepareReport prepare_cifar10(const std::filesystem::path& from, const std::filesystem::path& to,
                              const PrepareOptions& options = {});

}  // namespace actlab
