#include "data/manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <tuple>

#include "data/cifar10.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/sha256.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> all_batch_files() {
  auto files = cifar10_batch_files("train");
  files.push_back("test_batch.bin");
  return files;
}

// The records of a split as one byte string (N x 3,073 bytes).
std::string split_records(const fs::path& dir, const std::string& split) {
  std::string bytes;
  for (const auto& name : cifar10_batch_files(split)) bytes += read_file(dir / name);
  return bytes;
}

std::string sorted_records_sha256(const std::string& records) {
  const size_t count = records.size() / kCifarRecordBytes;
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  const char* base = records.data();
  std::sort(order.begin(), order.end(), [base](size_t a, size_t b) {
    return std::memcmp(base + a * kCifarRecordBytes, base + b * kCifarRecordBytes,
                       kCifarRecordBytes) < 0;
  });
  Sha256 hash;
  for (const size_t i : order) hash.update(base + i * kCifarRecordBytes, kCifarRecordBytes);
  return hash.hex_digest();
}

std::string fingerprint_of(const std::vector<std::pair<std::string, std::string>>& hashes) {
  std::string lines;
  for (const auto& [name, sha] : hashes) lines += sha + "  " + name + "\n";
  return sha256_hex(lines);
}

// Images in a split from its file sizes; nullopt when a file is missing or not whole records
// (the reader then reports that file with its own message).
std::optional<int64_t> split_images_from_sizes(const fs::path& dir, const std::string& split) {
  int64_t images = 0;
  for (const auto& name : cifar10_batch_files(split)) {
    std::error_code error;
    const auto bytes = fs::file_size(dir / name, error);
    if (error || bytes % kCifarRecordBytes != 0) return std::nullopt;
    images += static_cast<int64_t>(bytes) / kCifarRecordBytes;
  }
  return images;
}

}  // namespace

std::string data_files_fingerprint(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> hashes;
  for (const auto& name : all_batch_files()) hashes.emplace_back(name, sha256_file(dir / name));
  return fingerprint_of(hashes);
}

std::string data_content_fingerprint(const fs::path& dir) {
  std::string lines;
  for (const std::string split : {"train", "test"})
    lines += split + " " + sorted_records_sha256(split_records(dir, split)) + "\n";
  return sha256_hex(lines);
}

nlohmann::json make_data_manifest(const fs::path& dir, nlohmann::json source,
                                  nlohmann::json converter, bool partial) {
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::pair<std::string, std::string>> hashes;
  for (const auto& name : all_batch_files()) {
    hashes.emplace_back(name, sha256_file(dir / name));
    files.push_back(
        {{"name", name}, {"bytes", fs::file_size(dir / name)}, {"sha256", hashes.back().second}});
  }
  nlohmann::json splits = nlohmann::json::object();
  std::string content_lines;
  for (const std::string split : {"train", "test"}) {
    const std::string records = split_records(dir, split);
    std::vector<int64_t> per_class(kCifarClasses, 0);
    for (size_t i = 0; i < records.size(); i += kCifarRecordBytes) {
      const auto label = static_cast<uint8_t>(records[i]);
      if (label < kCifarClasses) ++per_class[label];
    }
    nlohmann::json classes = nlohmann::json::object();
    for (int label = 0; label < kCifarClasses; ++label)
      classes[cifar10_class_names()[label]] = per_class[label];
    const std::string content = sorted_records_sha256(records);
    content_lines += split + " " + content + "\n";
    splits[split] = {{"images", static_cast<int64_t>(records.size() / kCifarRecordBytes)},
                     {"per_class", classes},
                     {"content_sha256", content}};
  }
  return {{"format", "actlab CIFAR-10 manifest"},
          {"version", 1},
          {"fingerprint", fingerprint_of(hashes)},
          {"content_fingerprint", sha256_hex(content_lines)},
          {"partial", partial},
          {"source", std::move(source)},
          {"converter", std::move(converter)},
          {"splits", std::move(splits)},
          {"files", std::move(files)}};
}

nlohmann::json data_provenance(const fs::path& data_dir) {
  const fs::path dir = find_cifar10_dir(data_dir);
  const fs::path manifest_path = dir / kDataManifestFile;
  if (fs::exists(manifest_path)) {
    nlohmann::json manifest;
    try {
      manifest = nlohmann::json::parse(read_file(manifest_path));
    } catch (const nlohmann::json::exception&) {
      throw Error(
          fmt::format("'{}' is not valid JSON: prepare the data again with `actlab data "
                      "prepare`, or delete the manifest",
                      manifest_path.string()));
    }
    return {{"dir", fs::absolute(dir).lexically_normal().string()},
            {"manifest", fs::absolute(manifest_path).lexically_normal().string()},
            {"fingerprint", manifest.value("fingerprint", "")},
            {"content_fingerprint", manifest.value("content_fingerprint", "")},
            {"partial", manifest.value("partial", false)},
            {"source", manifest.value("source", nlohmann::json())},
            {"converter", manifest.value("converter", nlohmann::json())}};
  }
  return {{"dir", fs::absolute(dir).lexically_normal().string()},
          {"manifest", nullptr},
          {"fingerprint", data_files_fingerprint(dir)},
          {"content_fingerprint", nullptr},
          {"partial", nullptr},
          {"source", nullptr},
          {"converter", nullptr}};
}

void check_cifar10_data(const fs::path& data_dir, bool partial) {
  const fs::path dir = find_cifar10_dir(data_dir);  // also refuses an unfinished preparation
  const fs::path manifest_path = dir / kDataManifestFile;
  if (fs::exists(manifest_path)) {
    nlohmann::json manifest;
    try {
      manifest = nlohmann::json::parse(read_file(manifest_path));
    } catch (const nlohmann::json::exception&) {
      manifest = nlohmann::json::object();
    }
    for (const auto& file : manifest.value("files", nlohmann::json::array())) {
      const fs::path path = dir / file.value("name", "");
      std::error_code error;
      const auto bytes = fs::file_size(path, error);
      if (error || bytes != file.value("bytes", uint64_t{0})) {
        throw Error(fmt::format(
            "'{}' does not match {} ({} bytes, the manifest says {}): the data changed after "
            "preparation; prepare it again with `actlab data prepare`",
            path.string(), manifest_path.string(), error ? 0 : bytes,
            file.value("bytes", uint64_t{0})));
      }
    }
  }
  if (partial) return;
  const auto train = split_images_from_sizes(dir, "train");
  const auto test = split_images_from_sizes(dir, "test");
  if (!train || !test) return;  // a missing or truncated file: the reader names it
  for (const auto& [split, images, expected] :
       {std::tuple<const char*, int64_t, int64_t>{"train", *train, kCifarTrainImages},
        std::tuple<const char*, int64_t, int64_t>{"test", *test, kCifarTestImages}}) {
    if (images != expected) {
      throw Error(fmt::format(
          "data folder '{}' holds {} {} images, CIFAR-10 has {}: prepare the full set with "
          "`actlab data prepare`, or pass --partial-data to train on a partial set on purpose",
          dir.string(), images, split, expected));
    }
  }
}

}  // namespace actlab
