#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "data/cifar10.h"
#include "data/image_folder.h"
#include "data/prepare.h"
#include "src/core/error.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::TempDir;

namespace {

// One record exactly as the official layout stores it: label, 1024 R, 1024 G, 1024 B bytes.
// Pixel (c, y, x) gets the byte (label * 7 + c * 50 + y * 3 + x) % 256.
std::string record(uint8_t label) {
  std::string bytes(1, static_cast<char>(label));
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x)
        bytes += static_cast<char>((label * 7 + c * 50 + y * 3 + x) % 256);
    }
  }
  return bytes;
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("the binary reader decodes hand-written records byte for byte", "[unit][data]") {
  TempDir dir;
  write_bytes(dir / "test_batch.bin", record(3) + record(9) + record(0));
  const ImageSet set = read_cifar10_batch(dir / "test_batch.bin");
  REQUIRE(set.size() == 3);
  CHECK(set.labels.equal(torch::tensor({3, 9, 0}, torch::kInt64)));
  CHECK(set.images.sizes() == torch::IntArrayRef({3, 3, 32, 32}));
  CHECK(set.images.scalar_type() == torch::kUInt8);
  // record 1 (label 9): channel 2 (blue), row 5, column 7.
  CHECK(set.images[1][2][5][7].item<int>() == (9 * 7 + 2 * 50 + 5 * 3 + 7) % 256);
  CHECK(set.images[0][0][0][0].item<int>() == 21);
}

TEST_CASE("a truncated batch file is an error naming the file and the fix", "[unit][data]") {
  TempDir dir;
  write_bytes(dir / "test_batch.bin", record(1) + record(2).substr(0, 100));
  CHECK_THROWS_WITH(read_cifar10_batch(dir / "test_batch.bin"),
                    Catch::Contains("test_batch.bin") && Catch::Contains("3073") &&
                        Catch::Contains("truncated") && Catch::Contains("actlab data prepare"));
}

TEST_CASE("a label byte above 9 is an error naming the record", "[unit][data]") {
  TempDir dir;
  write_bytes(dir / "data_batch_1.bin", record(1) + record(12));
  CHECK_THROWS_WITH(read_cifar10_batch(dir / "data_batch_1.bin"),
                    Catch::Contains("data_batch_1.bin") && Catch::Contains("record 1") &&
                        Catch::Contains("label 12"));
}

TEST_CASE("missing files and folders are errors that say how to prepare the data", "[unit][data]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_cifar10_batch(dir / "data_batch_1.bin"),
                    Catch::Contains("missing") && Catch::Contains("actlab data prepare"));
  CHECK_THROWS_WITH(read_cifar10_split(dir / "nowhere", "train"),
                    Catch::Contains("does not exist") && Catch::Contains("actlab data prepare"));
  CHECK_THROWS_WITH(read_cifar10_split(dir.path(), "train"), Catch::Contains("holds no CIFAR-10"));
}

TEST_CASE("write then read gives back the same images and labels", "[unit][data]") {
  TempDir dir;
  Cifar10 data;
  data.train = {torch::randint(0, 256, {12, 3, 32, 32}, torch::kUInt8), torch::arange(12) % 10};
  data.test = {torch::randint(0, 256, {4, 3, 32, 32}, torch::kUInt8), torch::tensor({9, 8, 7, 6})};
  write_cifar10(data, dir / "out");
  CHECK(std::filesystem::file_size(dir / "out" / "data_batch_5.bin") == 2 * 3073);
  const ImageSet train = read_cifar10_split(dir / "out", "train");
  const ImageSet test = read_cifar10_split(dir.path() / "out", "test");
  CHECK(train.images.equal(data.train.images));
  CHECK(train.labels.equal(data.train.labels));
  CHECK(test.images.equal(data.test.images));
  CHECK(test.labels.equal(data.test.labels));
}

TEST_CASE("a folder holding cifar-10-batches-bin is found one level down", "[unit][data]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "cifar-10-batches-bin");
  write_bytes(dir / "cifar-10-batches-bin" / "test_batch.bin", record(4));
  CHECK(read_cifar10_split(dir.path(), "test").labels.equal(torch::tensor({4}, torch::kInt64)));
}

TEST_CASE("prepare copies an official-layout archive and rejects a damaged one", "[unit][data]") {
  TempDir dir;
  const auto source = dir / "cifar-10-batches-bin";
  std::filesystem::create_directories(source);
  for (const auto& name : cifar10_batch_files("train"))
    write_bytes(source / name, record(1) + record(2));
  write_bytes(source / "test_batch.bin", record(5));
  const std::string tar =
      fmt::format("tar -czf '{}' -C '{}' cifar-10-batches-bin",
                  (dir / "cifar-10-binary.tar.gz").string(), dir.path().string());
  REQUIRE(std::system(tar.c_str()) == 0);
  CHECK_THROWS_WITH(prepare_cifar10(dir / "cifar-10-binary.tar.gz", dir / "prepared"),
                    Catch::Contains("holds 10 images") && Catch::Contains("--partial-data"));
  const PrepareReport report =
      prepare_cifar10(dir / "cifar-10-binary.tar.gz", dir / "prepared", PrepareOptions{true});
  CHECK(report.source == "binary");
  CHECK(report.train_images == 10);
  CHECK(report.test_images == 1);
  CHECK(
      read_cifar10_split(dir / "prepared", "test").labels.equal(torch::tensor({5}, torch::kInt64)));
  // Nothing of the unpacked archive is left behind: the batches, their names and the manifest.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir / "prepared"))
    ++entries;
  CHECK(entries == 8);

  write_bytes(dir / "broken.tar.gz", "this is not gzip");
  CHECK_THROWS_WITH(prepare_cifar10(dir / "broken.tar.gz", dir / "prepared2", PrepareOptions{true}),
                    Catch::Contains("broken.tar.gz") && Catch::Contains("damaged"));
  CHECK_THROWS_WITH(prepare_cifar10(dir / "absent.tar.gz", dir / "prepared3"),
                    Catch::Contains("does not exist"));
}
