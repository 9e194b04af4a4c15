#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <vector>

namespace actlab {

// A split of labelled 32x32 RGB images, kept as compact tensors.
struct ImageSet {
  at::Tensor images;  // uint8 [N, 3, 32, 32], channel planes R, G, B
  at::Tensor labels;  // int64 [N], 0..9
  // int64 [N]: each image's position in its split as read (files in order, records in order);
  // undefined for a whole split in that order. Subsets keep it, so records can name images.
  at::Tensor source_index = {};
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct Cifar10 {
  ImageSet train;
  ImageSet test;
};

// Official binary layout: records of 1 label byte + 1024 R + 1024 G + 1024 B bytes.
inline constexpr int64_t kCifarRecordBytes = 3073;
inline constexpr int kCifarClasses = 10;

// airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck (label order 0..9).
const std::vector<std::string>& cifar10_class_names();

// The batch files of a split, in reading order.
std::vector<std::string> cifar10_batch_files(const std::string& split);

// Reads one batch file. Throws Error naming the file for: a missing file, a size that is not a
// multiple of 3,073 bytes (truncated download), a label byte above 9.
ImageSet read_cifar10_batch(const std::filesystem::path& file);

// `dir` holding data_batch_1..5.bin and test_batch.bin, or a folder containing
// cifar-10-batches-bin/. Throws Error naming the folder and the fix when neither exists, and
// when the folder holds an unfinished preparation (prepare-incomplete.txt, data/manifest.h).
std::filesystem::path find_cifar10_dir(const std::filesystem::path& dir);

// Reads "train" (data_batch_1..5.bin) or "test" (test_batch.bin) from a prepared folder.
ImageSet read_cifar10_split(const std::filesystem::path& dir, const std::string& split);

// Writes the binary layout (train split evenly over data_batch_1..5.bin, test_batch.bin,
// batches.meta.txt), each file atomically.
void write_cifar10(const Cifar10& data, const std::filesystem::path& dir);

}  // namespace actlab
