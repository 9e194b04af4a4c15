// TensorBoard event files: the checksum against its published vectors, the bytes against
// TensorBoard's own Python writer, and a real run read back by TensorBoard's own reader. The
// read-back needs python3 with the tensorboard package (scripts/common.sh installs it); without
// it the test prints "SKIPPED:" and CTest reports it as skipped (cmake/CatchTagLabels.cmake).
#include <catch2/catch.hpp>

#include <cfloat>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "src/core/files.h"
#include "src/harness/results.h"
#include "src/tensorboard/crc32c.h"
#include "src/tensorboard/event_file.h"
#include "src/tensorboard/summary.h"
#include "tests/helpers.h"
#include "tests/tensorboard_reader.h"

using actlab::read_jsonl;  // the records reader the tables use

using actlab::read_file;
using actlab::testing::read_with_tensorboard;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
namespace tb = actlab::tensorboard;
namespace fs = std::filesystem;

TEST_CASE("CRC-32C matches the published test vectors (RFC 3720 B.4)", "[unit][tensorboard]") {
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending += static_cast<char>(i);
  CHECK(tb::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(tb::crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  CHECK(tb::crc32c(ascending) == 0x46DD794Eu);
  CHECK(tb::crc32c("123456789") == 0xE3069283u);  // the CRC catalogue's check value
  CHECK(tb::crc32c("") == 0u);
}

TEST_CASE("masked CRCs and event records are byte-exact with TensorBoard's Python writer",
          "[unit][tensorboard]") {
  // From tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c.
  CHECK(tb::masked_crc32c("123456789") == 0xC78AB0E5u);
  CHECK(tb::masked_crc32c("") == 0xA282EAD8u);

  // The events of tests/tensorboard/make_reference.py, encoded by actlab.
  tb::Histogram histogram;
  histogram.min = -10.25;
  histogram.max = 10.25;
  histogram.num = 1000;
  histogram.sum = -12.5;
  histogram.sum_squares = 845;
  histogram.bucket_limit = {-10, -9.75, 10, DBL_MAX};
  histogram.bucket = {3, 0, 990, 7};
  tb::Histogram empty;
  empty.bucket_limit = {0};
  empty.bucket = {0};
  // lr first: the session's map must come out in key order whatever the insertion order.
  const nlohmann::ordered_json hparams = {{"lr", 0.01}, {"activation", "relu"}, {"augment", false}};
  const std::string actual =
      tb::tfrecord(tb::file_version_event(1700000000.25)) +
      tb::tfrecord(tb::summary_event(
          1700000000.5, 0, {tb::text_value("config", "    {\n      \"lr\": 0.01\n    }")})) +
      tb::tfrecord(tb::summary_event(
          1700000123.0, 390,
          {tb::scalar_value("metrics/test_error", 0.875F), tb::scalar_value("metrics/epoch", 0.0F),
           tb::scalar_value("dead_fraction/features.0.act", -1.5e-7F)})) +
      tb::tfrecord(
          tb::summary_event(1700000124.0, 123456789012,
                            {tb::histogram_value("preact_histogram/features.0.act", histogram),
                             tb::histogram_value("preact_histogram/empty", empty)})) +
      tb::tfrecord(tb::summary_event(
          1700000000.5, 0,
          {tb::hparams_experiment_value(
               "demo", "actlab runs of demo", hparams, {"activation"},
               {{"summary/final_test_error", "test error at the last evaluation"}}),
           tb::hparams_session_start_value(hparams, 1700000000.5)})) +
      tb::tfrecord(tb::summary_event(
          1700000200.0, 390,
          {tb::scalar_value("summary/final_test_error", 0.5F),
           tb::hparams_session_end_value(tb::SessionStatus::success, 1700000200.0)}));
  const std::string expected =
      read_file(fs::path(ACTLAB_SOURCE_DIR) / "tests" / "tensorboard" / "reference.tfevents");
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(i);
    REQUIRE(static_cast<int>(static_cast<uint8_t>(actual[i])) ==
            static_cast<int>(static_cast<uint8_t>(expected[i])));
  }
}

namespace {

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(entry.path());
  }
  return files;
}

// The i-th [step, value] of `tag` must be this record's step and value, exactly as float32.
void check_scalar(const nlohmann::json& scalars, const std::string& tag, size_t i, int64_t step,
                  double value) {
  CAPTURE(tag, i, step, value);
  REQUIRE(scalars.contains(tag));
  REQUIRE(scalars[tag].size() > i);
  CHECK(scalars[tag][i][0].get<int64_t>() == step);
  CHECK(scalars[tag][i][1].get<float>() == static_cast<float>(value));
}

}  // namespace

TEST_CASE("TensorBoard's own reader returns every scalar, histogram and the config actlab wrote",
          "[tensorboard][python][cli][data]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  const auto run = dir / "run";
  const auto result = run_actlab(
      fmt::format("train --model krizhevsky4 --epochs 2 --train-subset 500 --test-subset 200 "
                  "--train-eval-images 200 --batch-size 50 --probe full --probe-images 100 "
                  "--probe-every-steps 5 --tensorboard --data '{}' --out '{}'",
                  actlab::testing::cifar10_dir().string(), run.string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("tensorboard: events.out.tfevents."));
  REQUIRE(event_files(run).size() == 1);

  const auto read = read_with_tensorboard(dir.path(), run);
  if (!read) return;
  const auto& scalars = (*read)["scalars"];
  std::map<std::string, size_t> seen;  // events per tag so far

  const auto metrics = read_jsonl(run / "metrics.jsonl");
  REQUIRE(metrics.size() == 3);
  for (const auto& record : metrics) {
    for (const auto& [key, value] : record.items()) {
      // Nulls (the running means at epoch 0) and flags (epoch_end) are no scalars.
      if (!value.is_number()) continue;
      const std::string tag = "metrics/" + key;
      check_scalar(scalars, tag, seen[tag]++, record["step"].get<int64_t>(), value.get<double>());
    }
  }
  const auto layer_count =
      nlohmann::json::parse(read_file(run / "config.json"))["resolved"]["activation_layers"].size();
  const auto layers = read_jsonl(run / "layers.jsonl");
  // Probes at epoch 0, then per epoch after steps 5 and 10 and at the evaluation (step 10).
  REQUIRE(layers.size() == 7 * layer_count);
  for (const auto& record : layers) {
    for (const auto& [key, value] : record.items()) {
      if (!value.is_number() || key == "epoch" || key == "step" || key == "index") continue;
      const std::string tag = key + "/" + record["layer"].get<std::string>();
      check_scalar(scalars, tag, seen[tag]++, record["step"].get<int64_t>(), value.get<double>());
    }
  }
  // The summary as metrics for the HParams dashboard, once, at the run's last step.
  const auto summary = nlohmann::json::parse(read_file(run / "summary.json"));
  const auto last_step = summary["steps"].get<int64_t>();
  for (const char* key : {"final_test_error", "best_test_error", "final_train_error",
                          "epochs_completed", "train_error_auc"}) {
    const std::string tag = fmt::format("summary/{}", key);
    check_scalar(scalars, tag, seen[tag]++, last_step, summary[key].get<double>());
  }
  REQUIRE(summary["targets"].size() == 2);  // the defaults: train_error=0.25, test_error=0.5
  std::vector<std::string> target_metrics;
  for (const auto& target : summary["targets"]) {
    const auto stem = fmt::format("summary/{}_{}", target["metric"].get<std::string>(),
                                  target["threshold"].get<double>());
    target_metrics.push_back(stem + "_epochs");
    target_metrics.push_back(stem + "_reached");
    const bool reached = target["reached"].get<bool>();
    check_scalar(scalars, stem + "_reached", seen[stem + "_reached"]++, last_step, reached);
    if (reached) {
      check_scalar(scalars, stem + "_epochs", seen[stem + "_epochs"]++, last_step,
                   target["position"].get<double>());
    } else {  // never reached: no value, not a made-up one
      CHECK_FALSE(scalars.contains(stem + "_epochs"));
    }
  }
  // Nothing more than the records: every tag's event count is what they hold.
  CHECK(scalars.size() == seen.size());
  for (const auto& [tag, count] : seen) {
    CAPTURE(tag);
    CHECK(scalars[tag].size() == count);
  }

  const auto histograms = read_jsonl(run / "histograms.jsonl");
  REQUIRE(histograms.size() == layers.size());
  std::map<std::string, size_t> seen_histograms;
  for (size_t r = 0; r < histograms.size(); ++r) {
    const auto& record = histograms[r];
    const std::string tag = "preact_histogram/" + record["layer"].get<std::string>();
    CAPTURE(tag);
    REQUIRE((*read)["histograms"].contains(tag));
    const size_t i = seen_histograms[tag]++;
    REQUIRE((*read)["histograms"][tag].size() > i);
    CHECK((*read)["histograms"][tag][i][0] == record["step"]);
    const auto& h = (*read)["histograms"][tag][i][1];
    std::vector<double> expected = {record["below"].get<double>()};
    for (const auto& count : record["counts"]) expected.push_back(count.get<double>());
    expected.push_back(record["above"].get<double>());
    CHECK(h["bucket"].get<std::vector<double>>() == expected);
    const auto limits = h["bucket_limit"].get<std::vector<double>>();
    REQUIRE(limits.size() == expected.size());
    CHECK(limits.front() == record["low"].get<double>());
    CHECK(limits[limits.size() - 2] == record["high"].get<double>());
    CHECK(limits.back() == DBL_MAX);
    for (size_t i = 1; i + 1 < limits.size(); ++i) CHECK(limits[i] - limits[i - 1] == 0.25);
    double num = 0;
    for (const double count : expected) num += count;
    CHECK(h["num"].get<double>() == num);
    // sum and sum_squares are the layer record's preact_mean and preact_std over num values.
    const auto& layer = layers[r];
    REQUIRE(layer["layer"] == record["layer"]);
    const double mean = layer["preact_mean"].get<double>();
    const double std = layer["preact_std"].get<double>();
    CHECK(h["sum"].get<double>() == Approx(mean * num).epsilon(1e-12));
    CHECK(h["sum_squares"].get<double>() == Approx((std * std + mean * mean) * num).epsilon(1e-12));
  }
  CHECK((*read)["histograms"].size() == layer_count);

  const auto& texts = (*read)["texts"];
  REQUIRE(texts.contains("config"));
  REQUIRE(texts["config"].size() == 1);
  CHECK(texts["config"][0][0] == 0);
  std::string config = texts["config"][0][1].get<std::string>();
  // The text plugin renders Markdown: the JSON is indented by four spaces into a code block.
  std::string unindented;
  std::istringstream lines(config);
  for (std::string line; std::getline(lines, line);) {
    REQUIRE(line.rfind("    ", 0) == 0);
    unindented += line.substr(4) + "\n";
  }
  CHECK(nlohmann::json::parse(unindented) == nlohmann::json::parse(read_file(run / "config.json")));
  CHECK((*read)["text_plugin_tags"] == nlohmann::json::array({"config"}));

  // HParams, as TensorBoard's hparams plugin parses them: every option but `resolved` and
  // `out_dir` with its config.json value and type, the summary metrics, the end status.
  const auto& hparams = (*read)["hparams"];
  const auto config_json = nlohmann::json::parse(read_file(run / "config.json"));
  const auto& start = hparams["session_start_info"]["hparams"];
  const auto& infos = hparams["experiment"]["hparamInfos"];
  CHECK(start.size() == config_json.size() - 2);
  CHECK(infos.size() == start.size());
  for (const auto& info : infos) {
    const auto name = info["name"].get<std::string>();
    CAPTURE(name);
    REQUIRE(config_json.contains(name));
    const auto& value = config_json[name];
    if (value.is_array()) {
      CHECK(start[name] == value.dump());
      CHECK(info["type"] == "DATA_TYPE_STRING");
    } else {
      CHECK(start[name] == value);
      CHECK(info["type"] == (value.is_boolean()  ? "DATA_TYPE_BOOL"
                             : value.is_number() ? "DATA_TYPE_FLOAT64"
                                                 : "DATA_TYPE_STRING"));
    }
  }
  std::vector<std::string> metric_tags;
  for (const auto& info : hparams["experiment"]["metricInfos"])
    metric_tags.push_back(info["name"]["tag"].get<std::string>());
  std::vector<std::string> expected_tags = {"summary/final_test_error", "summary/best_test_error",
                                            "summary/final_train_error", "summary/epochs_completed",
                                            "summary/train_error_auc"};
  expected_tags.insert(expected_tags.end(), target_metrics.begin(), target_metrics.end());
  CHECK(metric_tags == expected_tags);
  CHECK(hparams["session_end_info"]["status"] == "STATUS_SUCCESS");

  // A run replacing this one with --overwrite leaves no stale event file behind.
  const auto again = run_actlab(fmt::format(
      "train --model krizhevsky4 --epochs 1 --train-subset 200 --test-subset 100 "
      "--train-eval-images 100 --probe off --no-tensorboard --overwrite --data '{}' --out '{}'",
      actlab::testing::cifar10_dir().string(), run.string()));
  REQUIRE(again.exit_code == 0);
  CHECK(event_files(run).empty());
}

TEST_CASE("on a terminal a progress line redraws in place and logs get per-epoch lines only",
          "[cli][data][progress][tty]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  const std::string train = fmt::format(
      "train --model krizhevsky4 --epochs 2 --train-subset 500 --test-subset 100 "
      "--train-eval-images 100 --batch-size 25 --probe off --data '{}' --out '{}' --overwrite",
      actlab::testing::cifar10_dir().string(), (dir / "run").string());
  const auto piped = run_actlab(train);
  REQUIRE(piped.exit_code == 0);
  CHECK_THAT(piped.output, Catch::Contains("epoch 2/2  train_loss"));
  CHECK(piped.output.find('\r') == std::string::npos);
  CHECK(piped.output.find("step 1/20") == std::string::npos);

  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    std::cout << "SKIPPED: the terminal half needs `script` (util-linux) for a pseudo-terminal\n";
    return;
  }
  // script(1) runs the command on a pseudo-terminal, as an interactive user would.
  const std::string command = fmt::format(
      "env -u CI TERM=xterm script -q -e -c \"'{}' {}\" /dev/null 2>&1", ACTLAB_BINARY, train);
  std::string output;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  INFO(output);
  // The first step of each epoch draws at once; later draws are at most every 0.5 s.
  CHECK_THAT(output, Catch::Contains("\r\033[Kepoch 1/2  step 1/20  "));
  CHECK_THAT(output, Catch::Contains("\r\033[Kepoch 2/2  step 1/20  "));
  CHECK_THAT(output, Catch::Contains(" img/s  epoch ETA "));
  // The per-epoch line replaces the progress line.
  CHECK_THAT(output, Catch::Contains("\r\033[Kepoch 1/2  train_loss"));
}
