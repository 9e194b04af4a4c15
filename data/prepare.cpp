#include "data/prepare.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "data/cifar10.h"
#include "data/image_folder.h"
#include "data/manifest.h"
#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/random.h"
#include "src/core/sha256.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// A temporary folder removed when the preparation ends, whether it worked or not.
class ScratchDir {
 public:
  explicit ScratchDir(fs::path path) : path_(std::move(path)) { fs::create_directories(path_); }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool is_archive(const fs::path& path) {
  const std::string name = path.filename().string();
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".tar.gz") || ends_with(".tgz") || ends_with(".tar");
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

bool has_binary_batches(const fs::path& dir) {
  return fs::exists(dir / "data_batch_1.bin");
}
bool has_image_splits(const fs::path& dir) {
  return fs::is_directory(dir / "train") && fs::is_directory(dir / "test");
}

// The folder (the source itself or one level down, as archives often add a top folder) that
// holds binary batches or train/ + test/ image folders.
fs::path find_source_root(const fs::path& source) {
  if (has_binary_batches(source) || has_image_splits(source)) return source;
  for (const auto& entry : fs::directory_iterator(source)) {
    if (entry.is_directory() &&
        (has_binary_batches(entry.path()) || has_image_splits(entry.path()))) {
      return entry.path();
    }
  }
  throw Error(
      fmt::format("'{}' holds neither CIFAR-10 binary batches (data_batch_1.bin ...) nor "
                  "train/ and test/ image folders: pass cifar-10-binary.tar.gz or an image "
                  "folder to --from",
                  source.string()));
}

ImageSet shuffled(const ImageSet& set, uint64_t seed) {
  const auto order = torch::tensor(seeded_permutation(set.size(), seed), torch::kInt64);
  return {set.images.index_select(0, order), set.labels.index_select(0, order)};
}

ImageSet read_folder_split(const fs::path& root, const std::string& split) {
  ImageSet set = read_image_folder(root, split);
  const auto classes = set.labels.max().item<int64_t>() + 1;
  if (classes != kCifarClasses) {
    throw Error(fmt::format("image folder '{}' has {} class folders, CIFAR-10 needs {}",
                            (root / split).string(), classes, kCifarClasses));
  }
  return shuffled(set, /*seed=*/0);
}

// A split that is not CIFAR-10's size (in total or in a class) is an error unless `partial`.
void check_split_counts(const ImageSet& set, const std::string& split, const fs::path& source) {
  const int64_t expected = split == "train" ? kCifarTrainImages : kCifarTestImages;
  const auto per_class = torch::bincount(set.labels, {}, kCifarClasses);
  std::string short_classes;
  for (int label = 0; label < kCifarClasses; ++label) {
    const auto count = per_class[label].item<int64_t>();
    if (count != expected / kCifarClasses) {
      short_classes += fmt::format("{}{} {}", short_classes.empty() ? "" : ", ",
                                   cifar10_class_names()[label], count);
    }
  }
  if (set.size() != expected || !short_classes.empty()) {
    throw Error(fmt::format(
        "the {} split of '{}' holds {} images ({}), CIFAR-10 has {} ({} per class): restore the "
        "missing files, or pass --partial-data to prepare a partial set on purpose",
        split, source.string(), set.size(),
        short_classes.empty() ? "classes balanced" : "per class: " + short_classes, expected,
        expected / kCifarClasses));
  }
}

// What tar (and gzip under it) wrote to `log`, as one line: the distinct non-empty lines
// joined with "; " ("" when none), so the error stays one line.
std::string tar_messages(const fs::path& log) {
  std::string text;
  try {
    text = read_file(log);
  } catch (const Error&) {
    return "";
  }
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    if (!line.empty() && std::find(lines.begin(), lines.end(), line) == lines.end())
      lines.push_back(line);
    begin = end + 1;
  }
  std::string joined;
  for (const auto& line : lines) joined += (joined.empty() ? "" : "; ") + line;
  return joined;
}

}  // namespace

PrepareReport prepare_cifar10(const fs::path& from, const fs::path& to,
                              const PrepareOptions& options) {
  if (!fs::exists(from)) {
    throw Error(
        fmt::format("'{}' does not exist: pass the downloaded cifar-10-binary.tar.gz (from "
                    "https://www.cs.toronto.edu/~kriz/cifar.html) or an image folder to --from",
                    from.string()));
  }
  std::optional<ScratchDir> scratch;
  fs::path source = from;
  if (fs::is_regular_file(from)) {
    if (!is_archive(from)) {
      throw Error(
          fmt::format("'{}' is not a .tar.gz archive or a folder: pass cifar-10-binary.tar.gz "
                      "or an image folder to --from",
                      from.string()));
    }
    fs::create_directories(to);
    scratch.emplace(to / fmt::format(".extract-{}", ::getpid()));
    const fs::path log = scratch->path() / ".tar-messages";
    const std::string command =
        fmt::format("tar -xf {} -C {} 2>{}", shell_quote(from.string()),
                    shell_quote(scratch->path().string()), shell_quote(log.string()));
    if (std::system(command.c_str()) != 0) {
      const std::string message = tar_messages(log);
      throw Error(
          fmt::format("unpacking '{}' failed{}: the archive is damaged or incomplete; download "
                      "it again",
                      from.string(), message.empty() ? "" : " (" + message + ")"));
    }
    fs::remove(log);
    source = scratch->path();
  }
  const fs::path root = find_source_root(source);
  Cifar10 data;
  PrepareReport report;
  nlohmann::json converter = {{"name", "actlab data prepare"},
                              {"actlab_version", actlab_version()},
                              {"git_commit", git_commit()}};
  if (has_binary_batches(root)) {
    report.source = "binary";
    data.train = read_cifar10_split(root, "train");
    data.test = read_cifar10_split(root, "test");
    converter["order"] = "as in the source's batch files";
  } else {
    report.source = "image folder";
    data.train = read_folder_split(root, "train");
    data.test = read_folder_split(root, "test");
    converter["decoder"] = image_decoder_name();
    converter["order"] =
        "files sorted by class folder and name, then shuffled by Fisher-Yates over "
        "std::mt19937_64 seeded 0";
  }
  if (!options.partial) {
    check_split_counts(data.train, "train", from);
    check_split_counts(data.test, "test", from);
  }
  const nlohmann::json source_record = {
      {"path", fs::absolute(from).lexically_normal().string()},
      {"kind", fs::is_regular_file(from) ? "archive" : "folder"},
      {"layout", report.source},
      {"sha256", fs::is_regular_file(from) ? nlohmann::json(sha256_file(from)) : nullptr}};
  // From here on `to` holds a mix of old and new files until the manifest is written.
  fs::create_directories(to);
  write_file_atomic(to / kPrepareMarkerFile,
                    fmt::format("`actlab data prepare --from {}` (pid {}) is writing this folder; "
                                "if it is gone, run it again\n",
                                from.string(), ::getpid()));
  std::error_code ignored;
  fs::remove(to / kDataManifestFile, ignored);
  write_cifar10(data, to);
  const nlohmann::json manifest = make_data_manifest(to, source_record, converter, options.partial);
  write_file_atomic(to / kDataManifestFile, manifest.dump(2) + "\n");
  fs::remove(to / kPrepareMarkerFile);
  report.train_images = data.train.size();
  report.test_images = data.test.size();
  report.fingerprint = manifest["fingerprint"];
  report.content_fingerprint = manifest["content_fingerprint"];
  return report;
}

}  // namespace actlab
