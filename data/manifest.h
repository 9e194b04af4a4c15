#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace actlab {

// Provenance of a prepared CIFAR-10 folder (schema: docs/records.md, "manifest.json").
// `actlab data prepare` writes DIR/prepare-incomplete.txt first and DIR/manifest.json last, then
// removes the marker: a folder holding the marker is a killed (or running) preparation, and no
// reader takes it for complete.
inline constexpr const char* kDataManifestFile = "manifest.json";
inline constexpr const char* kPrepareMarkerFile = "prepare-incomplete.txt";
inline constexpr int64_t kCifarTrainImages = 50000;
inline constexpr int64_t kCifarTestImages = 10000;

// The fingerprint of the files a run reads: sha256 over the lines "<sha256>  <name>\n" of
// data_batch_1..5.bin and test_batch.bin in that order, i.e. inside DIR
//   sha256sum data_batch_{1,2,3,4,5}.bin test_batch.bin | sha256sum
// It changes with any byte, the image order included (the order decides the batches).
std::string data_files_fingerprint(const std::filesystem::path& dir);

// The fingerprint of the labelled images regardless of their order: per split, the 3,073-byte
// records sorted in byte order and hashed as one string; then sha256 over
// "train <hash>\ntest <hash>\n". Two preparations that shuffle differently (actlab's and
// shared/tools/cifar10_jpeg_to_bin.py's) agree here when they decoded the same pixels.
std::string data_content_fingerprint(const std::filesystem::path& dir);

// The manifest of the complete batch files in `dir`: files (bytes, sha256), splits (images,
// per class, content sha256), both fingerprints, and the given source and converter objects.
nlohmann::json make_data_manifest(const std::filesystem::path& dir, nlohmann::json source,
                                  nlohmann::json converter, bool partial);

// What config.json records about the data a run reads (config.json "resolved"."data"): the
// fingerprints and source from DIR/manifest.json when present (a file read), else the files
// fingerprint hashed now (about a second for the full set) and "manifest": null.
nlohmann::json data_provenance(const std::filesystem::path& data_dir);

// The checks before a run reads `data_dir`: no unfinished preparation, 50,000 training and
// 10,000 test images (counted from file sizes; any count when `partial`), and file sizes equal to
// the manifest's. Throws Error naming the problem and the fix.
void check_cifar10_data(const std::filesystem::path& data_dir, bool partial);

}  // namespace actlab
