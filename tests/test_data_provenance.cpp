// Data provenance and checks: SHA-256 against published vectors and sha256sum, manifest.json,
// the two preparation routes (actlab data prepare, shared/tools/cifar10_jpeg_to_bin.py), split
// counts, truncated JPEGs, one-line archive errors, a prepare killed with SIGKILL.
#include <signal.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>
#include <iostream>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "data/cifar10.h"
#include "data/manifest.h"
#include "data/prepare.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/core/sha256.h"
#include "tests/helpers.h"

#if ACTLAB_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

using namespace actlab;
using actlab::testing::count_lines;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs a shell command and returns its stdout (trailing newline removed).
std::string shell_output(const std::string& command) {
  std::string output;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

// What `actlab ARGUMENTS` writes to stderr (stdout dropped), and its exit code.
std::pair<std::string, int> actlab_stderr(const std::string& arguments) {
  const std::string output = shell_output(
      fmt::format("'{}' {} 2>&1 >/dev/null; echo \"exit=$?\"", ACTLAB_BINARY, arguments));
  const size_t at = output.rfind("exit=");
  return {output.substr(0, at), std::stoi(output.substr(at + 5))};
}

// The documented recipe for the files fingerprint, run by coreutils.
std::string sha256sum_fingerprint(const fs::path& dir) {
  return shell_output(
      fmt::format("cd '{}' && sha256sum data_batch_1.bin data_batch_2.bin data_batch_3.bin "
                  "data_batch_4.bin data_batch_5.bin test_batch.bin | sha256sum | cut -d' ' -f1",
                  dir.string()));
}

std::string record(int label, int fill) {
  std::string bytes(kCifarRecordBytes, static_cast<char>(fill));
  bytes[0] = static_cast<char>(label);
  return bytes;
}

// A binary-layout folder with `per_file` records in each training file and `test` test records.
void write_small_batches(const fs::path& dir, int per_file, int test) {
  fs::create_directories(dir);
  int fill = 0;
  for (const auto& name : cifar10_batch_files("train")) {
    std::string bytes;
    for (int i = 0; i < per_file; ++i, ++fill) bytes += record(fill % 10, fill);
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  std::string bytes;
  for (int i = 0; i < test; ++i, ++fill) bytes += record(fill % 10, fill);
  std::ofstream(dir / "test_batch.bin", std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("same_digest tells equal digests from any other", "[unit][data]") {
  const std::string digest = sha256_hex("abc");
  CHECK(same_digest(digest, sha256_hex("abc")));
  CHECK_FALSE(same_digest(digest, sha256_hex("abd")));
  std::string last_differs = digest;
  last_differs.back() = last_differs.back() == '0' ? '1' : '0';
  CHECK_FALSE(same_digest(digest, last_differs));
  CHECK_FALSE(same_digest(digest, std::string_view(digest).substr(0, 63)));  // a cut frame
  CHECK_FALSE(same_digest(digest, ""));
}

TEST_CASE("SHA-256 matches the FIPS 180-2 vectors and sha256sum", "[unit][data]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces so every buffering path runs.
  Sha256 hash;
  const std::string a(1000, 'a');
  size_t fed = 0;
  for (size_t piece = 1; fed < 1000000; piece = piece % 131 + 1) {
    const size_t take = std::min(piece, 1000000 - fed);
    hash.update(a.data(), take);
    fed += take;
  }
  CHECK(hash.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  TempDir dir;
  write_small_batches(dir.path(), 3, 2);
  CHECK(sha256_file(dir / "test_batch.bin") ==
        shell_output(
            fmt::format("sha256sum '{}' | cut -d' ' -f1", (dir / "test_batch.bin").string())));
  CHECK(data_files_fingerprint(dir.path()) == sha256sum_fingerprint(dir.path()));
}

TEST_CASE("prepare writes a manifest, refuses short splits unless partial, and runs record it",
          "[cli][data]") {
  TempDir dir;
  write_small_batches(dir / "src" / "cifar-10-batches-bin", 4, 10);
  REQUIRE(std::system(fmt::format("tar -czf '{}' -C '{}' cifar-10-batches-bin",
                                  (dir / "small.tar.gz").string(), (dir / "src").string())
                          .c_str()) == 0);
  const std::string prepare = fmt::format("data prepare --from '{}' --to '{}'",
                                          (dir / "small.tar.gz").string(), (dir / "out").string());
  const auto [refused, refused_code] = actlab_stderr(prepare);
  CHECK(refused_code == 1);
  CHECK(count_lines(refused) == 1);
  CHECK_THAT(refused, Catch::Contains("train split") && Catch::Contains("holds 20 images") &&
                          Catch::Contains("--partial-data"));
  CHECK_FALSE(fs::exists(dir / "out" / "data_batch_1.bin"));

  const auto prepared = run_actlab(prepare + " --partial-data");
  REQUIRE(prepared.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "out" / kPrepareMarkerFile));
  const auto manifest = nlohmann::json::parse(read_file(dir / "out" / kDataManifestFile));
  CHECK(manifest["fingerprint"] == sha256sum_fingerprint(dir / "out"));
  CHECK_THAT(prepared.output,
             Catch::Contains("fingerprint " + manifest["fingerprint"].get<std::string>()));
  CHECK(manifest["partial"] == true);
  CHECK(manifest["source"]["sha256"] == shell_output(fmt::format("sha256sum '{}' | cut -d' ' -f1",
                                                                 (dir / "small.tar.gz").string())));
  CHECK(manifest["source"]["layout"] == "binary");
  CHECK(manifest["converter"]["name"] == "actlab data prepare");
  CHECK(manifest["splits"]["train"]["images"] == 20);
  CHECK(manifest["splits"]["test"]["images"] == 10);
  for (const auto& name : cifar10_class_names())
    CHECK(manifest["splits"]["test"]["per_class"][name] == 1);
  CHECK(manifest["splits"]["train"]["per_class"]["airplane"] == 2);
  REQUIRE(manifest["files"].size() == 6);
  for (const auto& file : manifest["files"]) {
    const fs::path path = dir / "out" / file["name"].get<std::string>();
    CHECK(file["bytes"] == fs::file_size(path));
    CHECK(file["sha256"] == sha256_file(path));
  }

  // A run on a partial folder needs --partial-data; its config.json carries the fingerprint.
  const std::string train = fmt::format(
      "train --epochs 1 --batch-size 10 --train-eval-images 20 --probe off --data '{}' --out '{}'",
      (dir / "out").string(), (dir / "run").string());
  const auto short_data = run_actlab(train);
  CHECK(short_data.exit_code == 1);
  CHECK_THAT(short_data.output,
             Catch::Contains("holds 20 train images") && Catch::Contains("--partial-data"));
  CHECK_FALSE(fs::exists(dir / "run" / "config.json"));
  const auto trained = run_actlab(train + " --partial-data");
  REQUIRE(trained.exit_code == 0);
  const auto config = nlohmann::json::parse(read_file(dir / "run" / "config.json"));
  CHECK(config["partial_data"] == true);
  CHECK(config["resolved"]["data"]["fingerprint"] == manifest["fingerprint"]);
  CHECK(config["resolved"]["data"]["content_fingerprint"] == manifest["content_fingerprint"]);
  CHECK(config["resolved"]["data"]["source"]["sha256"] == manifest["source"]["sha256"]);

  // Without a manifest the run hashes the files itself: the same fingerprint.
  fs::remove(dir / "out" / kDataManifestFile);
  REQUIRE(run_actlab(train + " --partial-data --overwrite").exit_code == 0);
  const auto hashed = nlohmann::json::parse(read_file(dir / "run" / "config.json"));
  CHECK(hashed["resolved"]["data"]["fingerprint"] == manifest["fingerprint"]);
  CHECK(hashed["resolved"]["data"]["manifest"].is_null());

  // Files changed after preparation no longer match their manifest.
  write_file_atomic(dir / "out" / kDataManifestFile, manifest.dump());
  std::ofstream(dir / "out" / "test_batch.bin", std::ios::app | std::ios::binary) << record(3, 7);
  const auto changed = run_actlab(train + " --partial-data --overwrite");
  CHECK(changed.exit_code == 1);
  CHECK_THAT(changed.output, Catch::Contains("test_batch.bin") && Catch::Contains("manifest"));
}

TEST_CASE("a damaged archive is one line of error, tar's own words inside it", "[cli][data]") {
  TempDir dir;
  write_small_batches(dir / "src" / "cifar-10-batches-bin", 4, 10);
  REQUIRE(std::system(fmt::format("tar -czf '{}' -C '{}' cifar-10-batches-bin",
                                  (dir / "whole.tar.gz").string(), (dir / "src").string())
                          .c_str()) == 0);
  const std::string whole = read_file(dir / "whole.tar.gz");
  std::ofstream(dir / "cut.tar.gz", std::ios::binary) << whole.substr(0, whole.size() / 2);
  const auto [error, code] = actlab_stderr(fmt::format(
      "data prepare --from '{}' --to '{}'", (dir / "cut.tar.gz").string(), (dir / "out").string()));
  CHECK(code == 1);
  CHECK(count_lines(error) == 1);  // gzip's and tar's messages are inside it
  CHECK_THAT(error, Catch::StartsWith("actlab: error: unpacking") &&
                        Catch::Contains("cut.tar.gz") && Catch::Contains("(gzip: ") &&
                        Catch::Contains("damaged"));
}

TEST_CASE("a given depth or width of 0 is refused, naming the valid range", "[cli]") {
  TempDir dir;
  for (const char* model : {"plain", "vgg", "resnet", "krizhevsky4"}) {
    const auto result = run_actlab(
        fmt::format("train --model {} --depth 0 --out '{}'", model, (dir / "run").string()));
    CHECK(result.exit_code != 0);
    CHECK(count_lines(result.output) == 1);
    CHECK_THAT(result.output, Catch::Contains("3 or more") && Catch::Contains("6n+2"));
  }
  const auto width =
      run_actlab(fmt::format("train --model plain --width 0 --out '{}'", (dir / "run").string()));
  CHECK(width.exit_code != 0);
  CHECK_THAT(width.output, Catch::Contains("width 0"));
  CHECK_FALSE(fs::exists(dir / "run"));
  // The models' own checks still hold for non-zero depths.
  const auto plain2 =
      run_actlab(fmt::format("train --model plain --depth 2 --out '{}'", (dir / "run").string()));
  CHECK_THAT(plain2.output, Catch::Contains("at least 3"));
  const auto resnet21 =
      run_actlab(fmt::format("train --model resnet --depth 21 --out '{}'", (dir / "run").string()));
  CHECK_THAT(resnet21.output, Catch::Contains("6n+2"));
}

#if ACTLAB_WITH_OPENCV

namespace {

// A JPEG of `label`'s colours at dir/<split>/<class>/<name>.jpg (pixels vary with `seed`).
void write_jpeg(const fs::path& root, const std::string& split, int label, int index) {
  cv::Mat image(32, 32, CV_8UC3);
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 32; ++x) {
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b((x * 7 + index * 13) % 256, (y * 5 + label * 25) % 256, (x * y + index) % 256);
    }
  }
  const fs::path path =
      root / split / cifar10_class_names()[label] / fmt::format("{:04}.jpg", index);
  fs::create_directories(path.parent_path());
  REQUIRE(cv::imwrite(path.string(), image));
}

void write_jpeg_archive(const fs::path& src, const fs::path& archive, int train, int test) {
  for (int label = 0; label < 10; ++label) {
    for (int i = 0; i < train; ++i) write_jpeg(src, "train", label, i);
    for (int i = 0; i < test; ++i) write_jpeg(src, "test", label, i);
  }
  REQUIRE(
      std::system(fmt::format("tar -czf '{}' -C '{}' train test", archive.string(), src.string())
                      .c_str()) == 0);
}

bool python_can_convert() {
  return std::system("python3 -c 'import numpy, PIL' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("actlab data prepare and the Python converter give the same content fingerprint",
          "[data][opencv][python]") {
  const fs::path converter =
      fs::path(ACTLAB_SOURCE_DIR) / ".." / "shared" / "tools" / "cifar10_jpeg_to_bin.py";
  if (!fs::exists(converter) || !python_can_convert()) {
    std::cout << "SKIPPED: needs ../shared/tools/cifar10_jpeg_to_bin.py and python3 with numpy + "
                 "Pillow\n";
    return;
  }
  TempDir dir;
  write_jpeg_archive(dir / "src", dir / "images.tar.gz", 6, 2);
  const PrepareReport report =
      prepare_cifar10(dir / "images.tar.gz", dir / "actlab", PrepareOptions{true});
  REQUIRE(std::system(fmt::format("python3 '{}' '{}' '{}' >/dev/null", converter.string(),
                                  (dir / "images.tar.gz").string(), (dir / "python").string())
                          .c_str()) == 0);
  // Same decoded pixels and labels: the same order-free content fingerprint...
  CHECK(data_content_fingerprint(dir / "python") == report.content_fingerprint);
  // ...but another shuffle (numpy's PCG64 against std::mt19937_64), so other files: the files
  // fingerprint tells the two apart, as it must (the order decides the batches).
  CHECK(data_files_fingerprint(dir / "python") != report.fingerprint);
  // The documented content recipe, computed by numpy, gives the manifest's value.
  const std::string script = fmt::format(
      "import hashlib, numpy as np\n"
      "d = '{}'\n"
      "lines = ''\n"
      "for split, names in (('train', ['data_batch_%d.bin' % i for i in range(1, 6)]), "
      "('test', ['test_batch.bin'])):\n"
      "    r = np.concatenate([np.fromfile(d + '/' + n, np.uint8).reshape(-1, 3073) for n in "
      "names])\n"
      "    r = r[np.lexsort(r.T[::-1])]\n"
      "    lines += split + ' ' + hashlib.sha256(r.tobytes()).hexdigest() + '\\n'\n"
      "print(hashlib.sha256(lines.encode()).hexdigest())\n",
      (dir / "python").string());
  write_file_atomic(dir / "content.py", script);
  CHECK(shell_output(fmt::format("python3 '{}'", (dir / "content.py").string())) ==
        report.content_fingerprint);
}

TEST_CASE("a truncated JPEG is an error naming the file", "[unit][data][opencv]") {
  TempDir dir;
  write_jpeg_archive(dir / "src", dir / "images.tar.gz", 1, 1);
  const fs::path victim = dir / "src" / "train" / "cat" / "0000.jpg";
  const std::string bytes = read_file(victim);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 40);
  CHECK_THROWS_WITH(prepare_cifar10(dir / "src", dir / "out", PrepareOptions{true}),
                    Catch::Contains("train/cat/0000.jpg") && Catch::Contains("truncated"));
  CHECK_FALSE(fs::exists(dir / "out" / "data_batch_1.bin"));
}

TEST_CASE("a prepare killed with SIGKILL leaves a folder no run takes for complete",
          "[data][integration][opencv][mirror]") {
  const fs::path mirror =
      fs::path(ACTLAB_SOURCE_DIR) / ".." / "shared" / "data" / "cifar10-jpeg.tar.gz";
  if (!fs::exists(mirror)) {
    // [mirror]: CTest reports it skipped (cmake/CatchTagLabels.cmake), never passed.
    std::cout << "SKIPPED: needs the mirror ../shared/data/cifar10-jpeg.tar.gz\n";
    return;
  }
  TempDir dir;
  const fs::path out = dir / "data";
  // The full set passes the count checks without --partial-data.
  const auto full =
      run_actlab(fmt::format("data prepare --from '{}' --to '{}'", mirror.string(), out.string()));
  REQUIRE(full.exit_code == 0);
  const auto manifest = nlohmann::json::parse(read_file(out / kDataManifestFile));
  CHECK(manifest["splits"]["train"]["images"] == kCifarTrainImages);
  CHECK(manifest["splits"]["test"]["per_class"]["truck"] == 1000);
  CHECK(manifest["fingerprint"] == sha256sum_fingerprint(out));
  CHECK(manifest["converter"]["decoder"].get<std::string>().rfind("OpenCV", 0) == 0);

  // Again into the same folder, killed as soon as it starts writing.
  const pid_t pid = actlab::start_process(
      {ACTLAB_BINARY, "data", "prepare", "--from", mirror.string(), "--to", out.string()},
      {"/dev/null"});
  // Watched until it writes or ends, not for a fixed time: on a loaded machine (a sweep beside
  // CI) decoding 60,000 JPEGs before the first write took over the 2 minutes once allowed.
  bool writing = false, ended = false;
  while (!writing && !ended) {
    writing = fs::exists(out / kPrepareMarkerFile);
    ended = !writing && ::waitpid(pid, nullptr, WNOHANG) == pid;
    if (!writing && !ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  INFO("the prepare ended before its marker file was seen: nothing was killed mid-write");
  REQUIRE(writing);
  CHECK_FALSE(fs::exists(out / kDataManifestFile));  // the old one went before the first write
  const auto run = run_actlab(
      fmt::format("train --epochs 1 --data '{}' --out '{}'", out.string(), (dir / "run").string()));
  CHECK(run.exit_code == 1);
  CHECK(count_lines(run.output) == 1);
  CHECK_THAT(run.output, Catch::Contains("unfinished") && Catch::Contains("data prepare"));
}

#endif
