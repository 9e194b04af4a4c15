#include "data/cifar10.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>

#include "data/manifest.h"
#include "src/core/error.h"
#include "src/core/files.h"

namespace actlab {

namespace fs = std::filesystem;

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

std::vector<std::string> cifar10_batch_files(const std::string& split) {
  if (split == "test") return {"test_batch.bin"};
  std::vector<std::string> files;
  for (int i = 1; i <= 5; ++i) files.push_back(fmt::format("data_batch_{}.bin", i));
  return files;
}

ImageSet read_cifar10_batch(const fs::path& file) {
  std::error_code error;
  const auto bytes = fs::file_size(file, error);
  if (error) {
    throw Error(
        fmt::format("CIFAR-10 file '{}' is missing: run `actlab data prepare --from "
                    "<cifar-10-binary.tar.gz|image folder> --to {}`",
                    file.string(), file.parent_path().string()));
  }
  if (bytes == 0 || bytes % kCifarRecordBytes != 0) {
    throw Error(
        fmt::format("CIFAR-10 file '{}' has {} bytes, not a multiple of {} (one record): it "
                    "is truncated or not CIFAR-10; prepare it again with `actlab data prepare`",
                    file.string(), bytes, kCifarRecordBytes));
  }
  const int64_t count = static_cast<int64_t>(bytes) / kCifarRecordBytes;
  // Read straight into the tensor that keeps the records: no intermediate copy.
  auto records = torch::empty({count, kCifarRecordBytes}, torch::kUInt8);
  std::FILE* stream = std::fopen(file.c_str(), "rb");
  const bool complete = stream != nullptr && std::fread(records.data_ptr(), 1, bytes, stream) ==
                                                 static_cast<size_t>(bytes);
  if (stream != nullptr) std::fclose(stream);
  if (!complete) {
    throw Error(
        fmt::format("cannot read CIFAR-10 file '{}': check its permissions", file.string()));
  }
  ImageSet set;
  set.labels = records.select(1, 0).to(torch::kInt64);
  const auto max_label = set.labels.max().item<int64_t>();
  if (max_label >= kCifarClasses) {
    const auto record = set.labels.ge(kCifarClasses).nonzero()[0][0].item<int64_t>();
    throw Error(
        fmt::format("CIFAR-10 file '{}': record {} has label {} (valid: 0..9): the file is "
                    "corrupt; prepare it again with `actlab data prepare`",
                    file.string(), record, set.labels[record].item<int64_t>()));
  }
  set.images = records.slice(1, 1).reshape({count, 3, 32, 32}).clone();
  return set;
}

namespace {

// A folder that `actlab data prepare` is still writing, or that a killed one left.
fs::path refuse_unfinished(const fs::path& dir) {
  if (fs::exists(dir / kPrepareMarkerFile)) {
    throw Error(
        fmt::format("data folder '{}' holds an unfinished `actlab data prepare` ({} is there: "
                    "it was killed or is still running): run `actlab data prepare --from "
                    "<archive|folder> --to {}` again",
                    dir.string(), kPrepareMarkerFile, dir.string()));
  }
  return dir;
}

}  // namespace

fs::path find_cifar10_dir(const fs::path& dir) {
  if (fs::exists(dir / "test_batch.bin") || fs::exists(dir / "data_batch_1.bin") ||
      fs::exists(dir / kPrepareMarkerFile)) {
    return refuse_unfinished(dir);
  }
  if (fs::exists(dir / "cifar-10-batches-bin"))
    return refuse_unfinished(dir / "cifar-10-batches-bin");
  if (!fs::exists(dir)) {
    throw Error(
        fmt::format("data folder '{}' does not exist: pass --data DIR, or create it with "
                    "`actlab data prepare --from <cifar-10-binary.tar.gz|image folder> --to {}`",
                    dir.string(), dir.string()));
  }
  throw Error(
      fmt::format("data folder '{}' holds no CIFAR-10 batches (data_batch_1.bin ...): create "
                  "them with `actlab data prepare --from <archive|folder> --to {}`",
                  dir.string(), dir.string()));
}

ImageSet read_cifar10_split(const fs::path& dir, const std::string& split) {
  const fs::path folder = find_cifar10_dir(dir);
  std::vector<torch::Tensor> images, labels;
  for (const auto& name : cifar10_batch_files(split)) {
    ImageSet batch = read_cifar10_batch(folder / name);
    images.push_back(batch.images);
    labels.push_back(batch.labels);
  }
  return {torch::cat(images), torch::cat(labels)};
}

namespace {

std::string encode_records(const ImageSet& set) {
  const int64_t count = set.size();
  auto records = torch::empty({count, kCifarRecordBytes}, torch::kUInt8);
  records.select(1, 0).copy_(set.labels);
  records.slice(1, 1).copy_(set.images.reshape({count, 3 * 32 * 32}));
  return std::string(static_cast<const char*>(records.data_ptr()), records.numel());
}

}  // namespace

void write_cifar10(const Cifar10& data, const fs::path& dir) {
  fs::create_directories(dir);
  const auto train_files = cifar10_batch_files("train");
  const auto chunks =
      torch::arange(data.train.size()).tensor_split(static_cast<int64_t>(train_files.size()));
  for (size_t i = 0; i < train_files.size(); ++i) {
    const ImageSet part{data.train.images.index_select(0, chunks[i]),
                        data.train.labels.index_select(0, chunks[i])};
    write_file_atomic(dir / train_files[i], encode_records(part));
  }
  write_file_atomic(dir / "test_batch.bin", encode_records(data.test));
  std::string meta;
  for (const auto& name : cifar10_class_names()) meta += name + "\n";
  write_file_atomic(dir / "batches.meta.txt", meta);
}

}  // namespace actlab
