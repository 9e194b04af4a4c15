#pragma once

#include <filesystem>
#include <string>

namespace actlab {

struct PrepareReport {
  std::string source;  // "binary" (official batches) or "image folder"
  int64_t train_images = 0;
  int64_t test_images = 0;
};

// Writes the CIFAR-10 binary layout into `to` from `from`: the official cifar-10-binary.tar.gz,
// a .tar.gz of an image folder (train/<class>/*.jpg, test/<class>/*.jpg), or either unpacked.
// Image folders are shuffled with a fixed seed so every preparation writes identical files.
// Throws Error naming the problem and the fix.
PrepareReport prepare_cifar10(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace actlab
