#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "data/cifar10.h"
#include "data/image_folder.h"
#include "data/prepare.h"
#include "src/core/error.h"
#include "tests/helpers.h"

#if ACTLAB_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

using namespace actlab;
using actlab::testing::TempDir;

#if ACTLAB_WITH_OPENCV

namespace {

// A lossless PNG whose pixel (y, x) is RGB = (label * 20 + y, x * 4, 255 - label).
void write_png(const std::filesystem::path& path, int label, int size = 32) {
  cv::Mat image(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(255 - label, x * 4 % 256, label * 20 + y);  // B, G, R
    }
  }
  std::filesystem::create_directories(path.parent_path());
  REQUIRE(cv::imwrite(path.string(), image));
}

}  // namespace

TEST_CASE("image folders decode to RGB planes with classes in sorted order",
          "[unit][data][opencv]") {
  TempDir dir;
  write_png(dir / "train" / "bird" / "0001.png", 2);
  write_png(dir / "train" / "airplane" / "0000.png", 0);
  write_png(dir / "train" / "airplane" / "0001.png", 0);
  const ImageSet set = read_image_folder(dir.path(), "train");
  REQUIRE(set.size() == 3);
  CHECK(set.labels.equal(torch::tensor({0, 0, 1}, torch::kInt64)));  // airplane, airplane, bird
  CHECK(set.images[2][0][5][7].item<int>() == 2 * 20 + 5);           // R
  CHECK(set.images[2][1][5][7].item<int>() == 28);                   // G
  CHECK(set.images[2][2][5][7].item<int>() == 253);                  // B
}

TEST_CASE("an image that does not decode or is not 32x32 is an error naming it",
          "[unit][data][opencv]") {
  TempDir dir;
  write_png(dir / "test" / "cat" / "0000.png", 3);
  std::ofstream(dir / "test" / "cat" / "0001.jpg") << "not a jpeg";
  CHECK_THROWS_WITH(read_image_folder(dir.path(), "test"),
                    Catch::Contains("0001.jpg") && Catch::Contains("does not decode"));
  std::filesystem::remove(dir / "test" / "cat" / "0001.jpg");
  // An empty file: OpenCV's decoder throws on it (found by fuzz/fuzz_image_folder).
  std::ofstream(dir / "test" / "cat" / "0002.png").flush();
  CHECK_THROWS_WITH(read_image_folder(dir.path(), "test"),
                    Catch::Contains("0002.png") && Catch::Contains("is empty"));
  std::filesystem::remove(dir / "test" / "cat" / "0002.png");
  // Not a PNG: OpenCV would hand it to GDCM's DICOM reader, which aborts the process (found by
  // fuzz/fuzz_image_folder; the bytes are its finding, shortened).
  const char not_png[] =
      "\x89P\0\xb3"
      "1gggggggggggggggggggggggggggggggggggggggggggggggm\0\0\0DICM";
  std::ofstream(dir / "test" / "cat" / "0003.png", std::ios::binary)
      << std::string(not_png, sizeof not_png - 1);
  CHECK_THROWS_WITH(read_image_folder(dir.path(), "test"),
                    Catch::Contains("0003.png") && Catch::Contains("no PNG signature"));
  std::filesystem::remove(dir / "test" / "cat" / "0003.png");
  write_png(dir / "test" / "dog" / "0000.png", 5, /*size=*/31);
  CHECK_THROWS_WITH(read_image_folder(dir.path(), "test"),
                    Catch::Contains("dog/0000.png") && Catch::Contains("not 32x32"));
}

TEST_CASE("prepare turns an image-folder archive into the binary layout", "[unit][data][opencv]") {
  TempDir dir;
  const auto& classes = cifar10_class_names();
  for (int label = 0; label < 10; ++label) {
    write_png(dir / "src" / "train" / classes[label] / "0000.png", label);
    write_png(dir / "src" / "train" / classes[label] / "0001.png", label);
    write_png(dir / "src" / "test" / classes[label] / "0000.png", label);
  }
  const std::string tar = fmt::format("tar -czf '{}' -C '{}' train test",
                                      (dir / "images.tar.gz").string(), (dir / "src").string());
  REQUIRE(std::system(tar.c_str()) == 0);
  const PrepareReport report =
      prepare_cifar10(dir / "images.tar.gz", dir / "out", PrepareOptions{/*partial=*/true});
  CHECK(report.source == "image folder");
  CHECK(report.train_images == 20);
  const ImageSet train = read_cifar10_split(dir / "out", "train");
  CHECK(torch::bincount(train.labels).equal(torch::full({10}, 2, torch::kInt64)));
  // Pixels survive exactly (PNG is lossless): R at (y, x) is label * 20 + y for every image.
  const auto red_row3 = train.images.select(1, 0).select(1, 3).select(1, 0).to(torch::kInt64);
  CHECK(red_row3.equal(train.labels * 20 + 3));
  // The same source gives byte-identical files (fixed shuffle).
  prepare_cifar10(dir / "images.tar.gz", dir / "again", PrepareOptions{/*partial=*/true});
  CHECK(read_cifar10_split(dir / "again", "train").labels.equal(train.labels));
}

#else

TEST_CASE("without OpenCV, reading an image folder says how to get it", "[unit][data]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_image_folder(dir.path(), "train"), Catch::Contains("without OpenCV"));
}

#endif
