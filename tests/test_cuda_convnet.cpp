// Issue 19, Krizhevsky et al.'s Figure 1 at the paper's scale: cuda-convnet's layers
// (dnouri/cuda-convnet: response normalisation, pooling, the layers-18pct and layers-80sec nets),
// its input preprocessing, stopping at a target and the running training error.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "models/layers.h"
#include "models/network.h"
#include "models/response_norm.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/train/convergence.h"
#include "src/train/device_data.h"
#include "src/train/run_recorder.h"
#include "src/train/trainer.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::TempDir;

namespace {

// cuda-convnet's rnorm by its kernel's loops (conv_util.cu kCNorm_fewfilter): per pixel, the
// squares over y, x in [p - size/2, p - size/2 + size) inside the image, in double.
torch::Tensor brute_force_rnorm(const torch::Tensor& input, int64_t size, double scale,
                                double power) {
  const auto x = input.to(torch::kFloat64).contiguous();
  auto out = torch::empty_like(x);
  const auto a = x.accessor<double, 4>();
  auto o = out.accessor<double, 4>();
  const int64_t height = x.size(2), width = x.size(3);
  for (int64_t n = 0; n < x.size(0); ++n) {
    for (int64_t c = 0; c < x.size(1); ++c) {
      for (int64_t py = 0; py < height; ++py) {
        for (int64_t px = 0; px < width; ++px) {
          double sum = 0;
          for (int64_t y = std::max<int64_t>(0, py - size / 2);
               y < std::min(height, py - size / 2 + size); ++y) {
            for (int64_t x0 = std::max<int64_t>(0, px - size / 2);
                 x0 < std::min(width, px - size / 2 + size); ++x0) {
              sum += a[n][c][y][x0] * a[n][c][y][x0];
            }
          }
          // layer.py divides the cfg's scale by size^2 for rnorm.
          o[n][c][py][px] = a[n][c][py][px] * std::pow(1 + scale / (size * size) * sum, -power);
        }
      }
    }
  }
  return out;
}

// cuda-convnet's pooling by its kernel's loops (conv_util.cuh kLocalPool): windows of 3 from
// start 0 with stride 2, outputsX = ceil((in - 3) / 2) + 1, cut at the border; the average
// divides by the pixels inside.
torch::Tensor brute_force_pool(const torch::Tensor& input, bool average) {
  const auto x = input.to(torch::kFloat64).contiguous();
  const int64_t size = x.size(2);
  const int64_t outputs = static_cast<int64_t>(std::ceil((size - 3) / 2.0)) + 1;
  auto out = torch::empty({x.size(0), x.size(1), outputs, outputs}, torch::kFloat64);
  const auto a = x.accessor<double, 4>();
  auto o = out.accessor<double, 4>();
  for (int64_t n = 0; n < x.size(0); ++n) {
    for (int64_t c = 0; c < x.size(1); ++c) {
      for (int64_t oy = 0; oy < outputs; ++oy) {
        for (int64_t ox = 0; ox < outputs; ++ox) {
          double total = 0, best = -INFINITY;
          int64_t count = 0;
          for (int64_t y = 2 * oy; y < std::min(size, 2 * oy + 3); ++y) {
            for (int64_t x0 = 2 * ox; x0 < std::min(size, 2 * ox + 3); ++x0) {
              total += a[n][c][y][x0];
              best = std::max(best, a[n][c][y][x0]);
              ++count;
            }
          }
          o[n][c][oy][ox] = average ? total / count : best;
        }
      }
    }
  }
  return out;
}

double max_relative_difference(const torch::Tensor& actual, const torch::Tensor& expected) {
  return ((actual.to(torch::kFloat64) - expected).abs() / (expected.abs() + 1e-6))
      .max()
      .item<double>();
}

}  // namespace

TEST_CASE("rnorm is cuda-convnet's same-map normalisation, checked by brute force",
          "[unit][models]") {
  torch::manual_seed(0);
  // 0-255-scale values, as cuda-convnet's nets see them, make the normalisation matter.
  const auto x = torch::randn({2, 3, 7, 6}) * 60;
  struct Case {
    int64_t size;
    double scale, power;
  };
  for (const Case& c : {Case{3, 5e-5, 0.75}, Case{3, 1e-3, 0.75}, Case{2, 1e-3, 0.5},
                        Case{4, 2e-4, 1.0}, Case{1, 1e-3, 0.75}}) {
    CAPTURE(c.size, c.scale, c.power);
    ResponseNorm rnorm(ResponseNormOptions{c.size, c.scale, c.power});
    const auto expected = brute_force_rnorm(x, c.size, c.scale, c.power);
    const auto actual = rnorm->forward(x);
    CHECK(actual.sizes() == x.sizes());
    CHECK(max_relative_difference(actual, expected) < 1e-5);
    // Not a no-op at these scales: the check above can fail.
    CHECK(max_relative_difference(x, expected) > 1e-3);
  }
  CHECK_THROWS_WITH(ResponseNorm(ResponseNormOptions{0, 1e-4, 0.75}),
                    Catch::Contains("rnorm size must be >= 1"));
}

TEST_CASE("cuda-convnet pooling: windows from 0, stride 2, ceil sizes, averages inside the image",
          "[unit][models]") {
  torch::manual_seed(1);
  for (int64_t size : {32, 16, 8, 7}) {
    CAPTURE(size);
    const auto x = torch::randn({2, 3, size, size});
    const auto max_expected = brute_force_pool(x, /*average=*/false);
    const auto avg_expected = brute_force_pool(x, /*average=*/true);
    CHECK(convnet_max_pool(x).sizes() == max_expected.sizes());
    CHECK(convnet_avg_pool(x).sizes() == avg_expected.sizes());
    CHECK((convnet_max_pool(x).to(torch::kFloat64) - max_expected).abs().max().item<double>() <
          1e-6);
    CHECK((convnet_avg_pool(x).to(torch::kFloat64) - avg_expected).abs().max().item<double>() <
          1e-5);
  }
  CHECK(convnet_max_pool(torch::zeros({1, 1, 32, 32})).size(2) == 16);  // the cfg's 32 -> 16
  CHECK(convnet_avg_pool(torch::zeros({1, 1, 16, 16})).size(2) == 8);
  CHECK(convnet_avg_pool(torch::zeros({1, 1, 8, 8})).size(2) == 4);
}

TEST_CASE("krizhevsky18pct and krizhevsky80sec: the cfg files' sizes, layers and initW",
          "[unit][models]") {
  // A conv layer of the cfg: filters x filterSize^2 x channels weights + filters biases
  // (sharedBiases=1); fc: inputs x outputs + outputs.
  const auto conv = [](int64_t channels, int64_t filters) {
    return filters * 5 * 5 * channels + filters;
  };
  const auto fc = [](int64_t inputs, int64_t outputs) { return inputs * outputs + outputs; };
  ModelOptions options;
  options.activation = "tanh";
  torch::manual_seed(0);
  Network pct18 = build_model("krizhevsky18pct", options);
  CHECK(pct18->parameter_count() == conv(3, 32) + conv(32, 32) + conv(32, 64) + fc(64 * 16, 10));
  CHECK(pct18->parameter_count() == 89578);
  Network sec80 = build_model("krizhevsky80sec", options);
  CHECK(sec80->parameter_count() ==
        conv(3, 32) + conv(32, 32) + conv(32, 64) + fc(64 * 16, 64) + fc(64, 10));
  CHECK(sec80->parameter_count() == 145578);

  const auto names = [](const Network& network) {
    std::vector<std::string> result;
    for (const auto& layer : network->activation_layers()) result.push_back(layer.name);
    return result;
  };
  CHECK(names(pct18) == std::vector<std::string>{"conv1.act", "conv2.act", "conv3.act"});
  CHECK(names(sec80) ==
        std::vector<std::string>{"conv1.act", "conv2.act", "conv3.act", "fc64.act"});
  CHECK(pct18->forward(torch::randn({2, 3, 32, 32})).sizes() == torch::IntArrayRef({2, 10}));
  CHECK(sec80->forward(torch::randn({2, 3, 32, 32})).sizes() == torch::IntArrayRef({2, 10}));

  // Default init: the cfg's initW; resolved into init_stds, so config.json says so.
  const ModelOptions resolved = resolve_model_options("krizhevsky80sec", options);
  CHECK(resolved.init == "auto");
  CHECK(resolved.init_stds == std::vector<double>{1e-4, 1e-2, 1e-2, 0.1, 0.1});
  auto named = sec80->named_parameters();
  CHECK(named["conv1.conv.weight"].std().item<double>() == Approx(1e-4).epsilon(0.05));
  CHECK(named["conv2.conv.weight"].std().item<double>() == Approx(1e-2).epsilon(0.05));
  CHECK(named["fc64.fc.weight"].std().item<double>() == Approx(0.1).epsilon(0.05));
  CHECK(named["classifier.weight"].std().item<double>() == Approx(0.1).epsilon(0.1));
  CHECK(named["conv1.conv.bias"].abs().max().item<double>() == 0);
  // A given init replaces them (today's regime): tanh's auto is Glorot uniform.
  options.init = "auto";
  CHECK(resolve_model_options("krizhevsky18pct", options).init_stds.empty());
  named = build_model("krizhevsky18pct", options)->named_parameters();
  const double glorot = std::sqrt(2.0 / (3 * 25 + 32 * 25));
  CHECK(named["conv1.conv.weight"].std().item<double>() == Approx(glorot).epsilon(0.1));
  // Other models keep auto as their default.
  options.init.clear();
  CHECK(resolve_model_options("krizhevsky4", options).init_stds.empty());
}

TEST_CASE("input preprocessing: standardise and cuda_convnet against a hand computation",
          "[unit][train]") {
  // Three images: image k has pixel (c, y, x) = 50 k + 10 c + (32 y + x) % 7.
  auto images = torch::empty({3, 3, 32, 32}, torch::kUInt8);
  auto pixel = images.accessor<uint8_t, 4>();
  for (int k = 0; k < 3; ++k)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) pixel[k][c][y][x] = 50 * k + 10 * c + (32 * y + x) % 7;
  const ImageSet set{images, torch::arange(3, torch::kInt64)};
  const auto all = torch::arange(3, torch::kInt64);

  // cuda_convnet: the mean image is 50 + 10 c + (32 y + x) % 7, so image k becomes 50 (k - 1)
  // everywhere, on the 0-255 scale.
  const DeviceImages convnet(set, torch::kCPU, input_normalisation("cuda_convnet", images));
  const auto fed = convnet.batch(all, /*augment=*/false);
  for (int k = 0; k < 3; ++k)
    CHECK(torch::equal(fed[k], torch::full({3, 32, 32}, 50.0f * (k - 1))));
  CHECK(convnet.pixel_mean().sizes() == torch::IntArrayRef({3, 32, 32}));
  CHECK(convnet.pixel_mean()[2][0][3].item<float>() == 50 + 20 + 3);
  CHECK_FALSE(convnet.pixel_std().defined());

  // standardise: (pixel - channel mean) / channel std (sample std), by hand in double.
  const DeviceImages standard(set, torch::kCPU, input_normalisation("standardise", images));
  const auto standardised = standard.batch(all, /*augment=*/false);
  for (int c = 0; c < 3; ++c) {
    double sum = 0, squares = 0;
    const double count = 3 * 32 * 32;
    for (int k = 0; k < 3; ++k)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) sum += pixel[k][c][y][x];
    const double mean = sum / count;
    for (int k = 0; k < 3; ++k)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) squares += std::pow(pixel[k][c][y][x] - mean, 2);
    const double std = std::sqrt(squares / (count - 1));
    CAPTURE(c, mean, std);
    CHECK(standard.pixel_mean()[c].item<double>() == Approx(mean).epsilon(1e-6));
    CHECK(standard.pixel_std()[c].item<double>() == Approx(std).epsilon(1e-6));
    for (int k = 0; k < 3; ++k) {
      CHECK(standardised[k][c][5][6].item<double>() ==
            Approx((pixel[k][c][5][6] - mean) / std).epsilon(1e-5));
    }
  }
  CHECK_THROWS_WITH(input_normalisation("zca", images),
                    Catch::Contains("valid are standardise, cuda_convnet"));
  TrainConfig config;
  config.input_preprocessing = "zca";
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("--input-preprocessing 'zca'"));
}

TEST_CASE("stop conditions and targets parse, running metrics included", "[unit][train]") {
  const auto stop = parse_stop_condition("train_error_running<=0.25");
  CHECK(stop.metric == "train_error_running");
  CHECK(stop.threshold == 0.25);
  CHECK_THROWS_WITH(parse_stop_condition("train_error=0.25"), Catch::Contains("METRIC<=VALUE"));
  CHECK_THROWS_WITH(parse_stop_condition("accuracy<=0.25"), Catch::Contains("METRIC<=VALUE"));
  CHECK(parse_target("train_error_running=0.5").metric == "train_error_running");
  TrainConfig config;
  config.stop_when = "train_error<0.25";
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("--stop-when 'train_error<0.25'"));
  config.stop_when = "off";
  CHECK(resolve(config).stop_when.empty());
  config.stop_when = "train_error<=0.25";
  config.stop_patience = -1;
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("--stop-patience must be >= 0"));

  // The running error is not recorded at epoch 0: a target on it is first reached later.
  std::vector<EpochMetrics> metrics(3);
  for (size_t i = 0; i < metrics.size(); ++i) metrics[i].position = static_cast<double>(i);
  metrics[0].train_error = 0.9;
  metrics[1].train_error = 0.6;
  metrics[1].train_error_running = 0.7;
  metrics[2].train_error = 0.4;
  metrics[2].train_error_running = 0.45;
  const auto result = convergence_json(
      metrics, {parse_target("train_error_running=0.5"), parse_target("train_error=0.5")});
  CHECK(result["targets"][0]["position"] == 2.0);
  CHECK(result["targets"][1]["position"] == 2.0);
  CHECK_FALSE(reaches(metrics[0], parse_target("train_error_running=1")));
}

namespace {

struct MetricsLog : TrainingHook {
  std::vector<EpochMetrics> metrics;
  void on_evaluation(const TrainingContext&, const EpochMetrics& m) override {
    metrics.push_back(m);
  }
};

}  // namespace

// (A test name must not start with "-": CTest passes it to Catch2 as an argument.)
TEST_CASE("a run with --stop-when ends at the first evaluation meeting the target (+ patience)",
          "[data][integration][training]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.train_subset = 640;  // 5 steps of 128 per epoch
  config.test_subset = 200;
  config.train_eval_images = 200;
  config.epochs = 3;
  config.evals_per_epoch = 2;
  config.augment = false;
  config.lr = 0.05;
  config = resolve(config);
  MetricsLog reference;
  train(config, {&reference});
  REQUIRE(reference.metrics.size() == 7);
  // Inside an epoch the running error covers the epoch's batches so far.
  REQUIRE(reference.metrics[1].train_error_running.has_value());
  CHECK(*reference.metrics[1].train_error_running > 0);
  CHECK(*reference.metrics[1].train_error_running <= 1);
  CHECK_FALSE(reference.metrics[0].train_error_running.has_value());

  // The target: the training error at 1.5 epochs; an earlier evaluation may already meet it.
  const double target = reference.metrics[3].train_error;
  size_t first = 0;
  while (reference.metrics[first].train_error > target) ++first;
  REQUIRE(first >= 1);
  for (int patience : {0, 1}) {
    CAPTURE(patience, first, target);
    TempDir dir;
    config.out_dir = dir.path().string();
    config.stop_when = fmt::format("train_error<={}", target);
    config.stop_patience = patience;
    RunRecorder recorder(dir.path(), RunRecorder::Existing::kOverwrite);
    MetricsLog stopped;
    const RunSummary summary = train(config, {&recorder, &stopped});
    CHECK(summary.status == actlab::RunStatus::completed);
    REQUIRE(stopped.metrics.size() == first + 1 + patience);
    for (size_t i = 0; i < stopped.metrics.size(); ++i)
      CHECK(stopped.metrics[i].train_error == reference.metrics[i].train_error);
    const std::string reason = fmt::format("target train_error<={} reached at epoch {:g}", target,
                                           reference.metrics[first].position);
    CHECK_THAT(summary.stop_reason, Catch::StartsWith(reason));
    CHECK(summary.final_train_error == stopped.metrics.back().train_error);
    const auto recorded = nlohmann::json::parse(read_file(dir / "summary.json"));
    CHECK(recorded["status"] == "completed");
    CHECK(recorded["stop_reason"] == summary.stop_reason);
    CHECK(recorded["stop_target_position"] == reference.metrics[first].position);
    CHECK(split(read_file(dir / "metrics.jsonl"), '\n').size() == first + 1 + patience);
    const auto config_json = nlohmann::json::parse(read_file(dir / "config.json"));
    CHECK(config_json["stop_when"] == config.stop_when);
    CHECK(config_json["input_preprocessing"] == "standardise");
  }
  // Met before training: the run takes no step.
  config.stop_when = "train_error<=1";
  config.stop_patience = 0;
  TempDir dir;
  config.out_dir = dir.path().string();
  MetricsLog at_start;
  const RunSummary untrained = train(config, {&at_start});
  CHECK(untrained.status == actlab::RunStatus::completed);
  CHECK(untrained.steps == 0);
  CHECK(at_start.metrics.size() == 1);
  CHECK(untrained.stop_reason == "target train_error<=1 reached at epoch 0");
}

TEST_CASE("a tiny tanh run with --flush-denormal stays within float noise of one without",
          "[data][integration][training]") {
  REQUIRE(actlab::testing::have_cifar10());
  // The paper's regime, where values are smallest: Gaussian init from 1e-4, tanh.
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.model = "krizhevsky18pct";
  config.model_options.activation = "tanh";
  config.input_preprocessing = "cuda_convnet";
  config.train_subset = 1280;
  config.test_subset = 200;
  config.train_eval_images = 200;
  config.epochs = 2;
  config.augment = false;
  config.lr = 0.003;
  config = resolve(config);
  // Whether the run's arithmetic flushes: a subnormal times 1 is 0 only then.
  struct FlushSeen : TrainingHook {
    bool flushes = false;
    void on_start(const TrainingContext&) override {
      flushes = (torch::full({4}, 1e-39f) * 1.0f).sum().item<float>() == 0.0f;
    }
  };
  MetricsLog exact, flushed;
  FlushSeen exact_seen, flushed_seen, again_seen;
  train(config, {&exact, &exact_seen});
  config.flush_denormal = true;
  train(config, {&flushed, &flushed_seen});
  config.flush_denormal = false;
  config.epochs = 0;
  train(config, {&again_seen});  // the setting is per run, not left in the process
  CHECK_FALSE(exact_seen.flushes);
  CHECK(flushed_seen.flushes);
  CHECK_FALSE(again_seen.flushes);
  REQUIRE(exact.metrics.size() == flushed.metrics.size());
  for (size_t i = 0; i < exact.metrics.size(); ++i) {
    CAPTURE(i);
    CHECK(flushed.metrics[i].train_loss == Approx(exact.metrics[i].train_loss).epsilon(1e-5));
    CHECK(flushed.metrics[i].test_loss == Approx(exact.metrics[i].test_loss).epsilon(1e-5));
    CHECK(std::abs(flushed.metrics[i].test_error - exact.metrics[i].test_error) <= 0.005);
  }
}
