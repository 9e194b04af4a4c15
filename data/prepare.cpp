#include "data/prepare.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "data/cifar10.h"
#include "data/image_folder.h"
#include "src/core/error.h"
#include "src/core/random.h"

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

}  // namespace

PrepareReport prepare_cifar10(const fs::path& from, const fs::path& to) {
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
    const std::string command = fmt::format("tar -xf {} -C {}", shell_quote(from.string()),
                                            shell_quote(scratch->path().string()));
    if (std::system(command.c_str()) != 0) {
      throw Error(
          fmt::format("unpacking '{}' failed: the archive is damaged or incomplete; download "
                      "it again",
                      from.string()));
    }
    source = scratch->path();
  }
  const fs::path root = find_source_root(source);
  Cifar10 data;
  PrepareReport report;
  if (has_binary_batches(root)) {
    report.source = "binary";
    data.train = read_cifar10_split(root, "train");
    data.test = read_cifar10_split(root, "test");
  } else {
    report.source = "image folder";
    data.train = read_folder_split(root, "train");
    data.test = read_folder_split(root, "test");
  }
  write_cifar10(data, to);
  report.train_images = data.train.size();
  report.test_images = data.test.size();
  return report;
}

}  // namespace actlab
