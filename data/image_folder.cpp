#include "data/image_folder.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <vector>

#include "src/core/error.h"

#if ACTLAB_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

namespace actlab {

namespace fs = std::filesystem;

bool image_folders_supported() {
  return ACTLAB_WITH_OPENCV != 0;
}

std::string image_decoder_name() {
#if ACTLAB_WITH_OPENCV
  return "OpenCV " CV_VERSION;
#else
  return "none";
#endif
}

namespace {

bool is_image(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

std::vector<fs::path> sorted_entries(const fs::path& dir, bool directories) {
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (directories ? entry.is_directory() : (entry.is_regular_file() && is_image(entry.path()))) {
      entries.push_back(entry.path());
    }
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

#if ACTLAB_WITH_OPENCV
bool is_jpeg(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".jpg" || extension == ".jpeg";
}

// Whether a JPEG ends with its end-of-image marker (FF D9; trailing padding allowed). libjpeg
// decodes a truncated file "successfully", filling the missing rows with grey, and only warns
// on stderr; inside entropy-coded data FF is always followed by 00 or a restart marker, so
// FF D9 near the end is the marker.
bool jpeg_is_complete(const std::vector<uchar>& bytes) {
  const size_t tail = std::min<size_t>(bytes.size(), 64);
  for (size_t i = bytes.size() - tail; i + 1 < bytes.size(); ++i) {
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9) return true;
  }
  return false;
}

bool has_png_signature(const std::vector<uchar>& bytes) {
  static const uchar kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return bytes.size() >= 8 && std::equal(kSignature, kSignature + 8, bytes.begin());
}

// Decodes one file into images[index] (RGB planes); returns the problem, or "" when it worked.
std::string decode_into(const fs::path& file, torch::Tensor& images, int64_t index) {
  std::vector<uchar> bytes;
  {
    std::ifstream stream(file, std::ios::binary);
    if (!stream) return "cannot be read";
    bytes.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }
  if (bytes.empty()) return "is empty";  // OpenCV asserts (throws) on an empty buffer
  if (is_jpeg(file) && (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8)) {
    return "does not decode as an image (no JPEG start-of-image marker)";
  }
  // imdecode picks its decoder by content, not by name: a ".png" that is not a PNG reaches
  // decoders such as GDCM's DICOM reader, which aborts the process on a damaged file instead
  // of failing. Only the PNG decoder may see a .png.
  if (!is_jpeg(file) && !has_png_signature(bytes)) {
    return "does not decode as an image (no PNG signature)";
  }
  if (is_jpeg(file) && !jpeg_is_complete(bytes)) {
    return "is a truncated JPEG (no end-of-image marker; it would decode only partly)";
  }
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {  // a decoder's own assertion on a damaged file
    return "does not decode as an image";
  }
  if (bgr.empty()) return "does not decode as an image";
  if (bgr.rows != 32 || bgr.cols != 32)
    return fmt::format("is {}x{}, not 32x32", bgr.cols, bgr.rows);
  auto* out = images[index].data_ptr<uint8_t>();
  for (int y = 0; y < 32; ++y) {
    const auto* row = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < 32; ++x) {
      for (int channel = 0; channel < 3; ++channel) {
        out[channel * 1024 + y * 32 + x] = row[x * 3 + (2 - channel)];
      }
    }
  }
  return "";
}
#endif

}  // namespace

ImageSet read_image_folder(const fs::path& root, const std::string& split) {
#if !ACTLAB_WITH_OPENCV
  throw Error(
      fmt::format("cannot read image folder '{}': this actlab was built without OpenCV; "
                  "rebuild with libopencv-dev installed, or convert the images with "
                  "shared/tools/cifar10_jpeg_to_bin.py",
                  root.string()));
#else
  const fs::path split_dir = root / split;
  if (!fs::is_directory(split_dir)) {
    throw Error(fmt::format("image folder '{}' does not exist: expected <root>/{}/<class>/*.jpg",
                            split_dir.string(), split));
  }
  std::vector<fs::path> files;
  std::vector<int64_t> labels;
  const auto classes = sorted_entries(split_dir, /*directories=*/true);
  for (size_t label = 0; label < classes.size(); ++label) {
    for (auto& file : sorted_entries(classes[label], /*directories=*/false)) {
      files.push_back(std::move(file));
      labels.push_back(static_cast<int64_t>(label));
    }
  }
  if (files.empty()) {
    throw Error(fmt::format("image folder '{}' holds no .jpg/.png files in class sub-folders",
                            split_dir.string()));
  }
  const auto count = static_cast<int64_t>(files.size());
  auto images = torch::empty({count, 3, 32, 32}, torch::kUInt8);
  std::vector<std::string> problems(files.size());
  at::parallel_for(0, count, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) problems[i] = decode_into(files[i], images, i);
  });
  for (size_t i = 0; i < files.size(); ++i) {
    if (!problems[i].empty()) {
      throw Error(
          fmt::format("image '{}' {}: remove or replace it", files[i].string(), problems[i]));
    }
  }
  return {images, torch::tensor(labels, torch::kInt64)};
#endif
}

}  // namespace actlab
