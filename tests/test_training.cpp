#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/probes/probe_hook.h"
#include "src/train/activation_cost.h"
#include "src/train/convergence.h"
#include "src/train/device_data.h"
#include "src/train/evaluation_schedule.h"
#include "src/train/optimizer.h"
#include "src/train/run_recorder.h"
#include "src/train/trainer.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::TempDir;

namespace {

TrainConfig small_run(int64_t train_images, int epochs) {
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.train_subset = train_images;
  config.test_subset = 1000;
  config.epochs = epochs;
  config.augment = false;
  return resolve(config);
}

// Records every evaluation so tests can compare runs.
struct MetricsLog : TrainingHook {
  std::vector<EpochMetrics> metrics;
  void on_evaluation(const TrainingContext&, const EpochMetrics& m) override {
    metrics.push_back(m);
  }
};

}  // namespace

TEST_CASE("learning-rate schedules: warm-up, step and cosine", "[unit][train]") {
  TrainConfig config;
  config.lr = 0.1;
  config.epochs = 10;
  CHECK(learning_rate_at(config, 7.5) == Approx(0.1));
  config.schedule = "step";
  config.step_epochs = 3;
  CHECK(learning_rate_at(config, 2.9) == Approx(0.1));
  CHECK(learning_rate_at(config, 3.0) == Approx(0.01));
  CHECK(learning_rate_at(config, 6.5) == Approx(0.001));
  config.schedule = "cosine";
  config.warmup_epochs = 2;
  CHECK(learning_rate_at(config, 1.0) == Approx(0.05));
  CHECK(learning_rate_at(config, 2.0) == Approx(0.1));
  CHECK(learning_rate_at(config, 6.0) == Approx(0.05));
  CHECK(learning_rate_at(config, 10.0) == Approx(0.0).margin(1e-12));
}

TEST_CASE("bad configuration values are errors naming the option", "[unit][train]") {
  TrainConfig config;
  config.lr = -1;
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("--lr"));
  config = {};
  config.optimizer = "rmsprop";
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("sgd, adam, adamw"));
  config = {};
  config.model_options.activation = "relu:slope=1";
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("no parameter 'slope'"));
  config = {};
  CHECK(resolve(config).threads >= 1);
  CHECK(resolve(config).model_options.activation == "relu");
}

TEST_CASE("balanced subsets take the same number of images from every class", "[unit][train]") {
  ImageSet set{torch::zeros({100, 3, 32, 32}, torch::kUInt8), torch::arange(100) % 10};
  const ImageSet subset = balanced_subset(set, 23, /*seed=*/1);
  REQUIRE(subset.size() == 23);
  const auto counts = torch::bincount(subset.labels);
  CHECK(counts.max().item<int64_t>() - counts.min().item<int64_t>() <= 1);
  CHECK(balanced_subset(set, 23, 1).labels.equal(subset.labels));
  CHECK_THROWS_WITH(
      balanced_subset({set.images.slice(0, 5, 17), set.labels.slice(0, 5, 17)}, 11, 0),
      Catch::Contains("smaller subset"));
}

TEST_CASE("crop-and-flip augmentation moves pixels, pads with zeros, keeps shape",
          "[unit][train]") {
  torch::manual_seed(0);
  const auto images = torch::randint(1, 256, {64, 3, 32, 32}, torch::kUInt8);
  const auto augmented = augment_crop_flip(images);
  CHECK(augmented.sizes() == images.sizes());
  CHECK(augmented.scalar_type() == torch::kUInt8);
  // Every output is the input shifted by (dy, dx) in [-4, 4], maybe mirrored, zero outside.
  for (int64_t i = 0; i < 64; ++i) {
    bool matched = false;
    for (int flip = 0; flip < 2 && !matched; ++flip) {
      const auto source = flip ? images[i].flip({2}) : images[i];
      for (int dy = -4; dy <= 4 && !matched; ++dy) {
        for (int dx = -4; dx <= 4 && !matched; ++dx) {
          auto expected = torch::zeros_like(source);
          const auto rows = std::make_pair(std::max(0, -dy), 32 - std::max(0, dy));
          const auto cols = std::make_pair(std::max(0, -dx), 32 - std::max(0, dx));
          expected.slice(1, rows.first, rows.second).slice(2, cols.first, cols.second) =
              source.slice(1, rows.first + dy, rows.second + dy)
                  .slice(2, cols.first + dx, cols.second + dx);
          matched = augmented[i].equal(expected);
        }
      }
    }
    CHECK(matched);
  }
}

TEST_CASE("normalised batches have zero mean and unit spread per channel", "[unit][train]") {
  const auto images = torch::randint(0, 256, {500, 3, 32, 32}, torch::kUInt8);
  const auto [mean, std] = channel_statistics(images);
  DeviceImages device_images({images, torch::zeros({500}, torch::kInt64)}, torch::kCPU, mean, std);
  const auto batch = device_images.batch(torch::arange(500), /*augment=*/false);
  CHECK(batch.mean({0, 2, 3}).abs().max().item<double>() < 1e-4);
  CHECK(batch.transpose(0, 1).reshape({3, -1}).std(1).sub(1).abs().max().item<double>() < 1e-3);
}

TEST_CASE("krizhevsky4 + relu beats chance on real CIFAR-10 in 4 epochs", "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  const TrainConfig config = small_run(2000, 4);
  MetricsLog log;
  const RunSummary summary = train(config, {&log});
  CHECK(summary.status == actlab::RunStatus::completed);
  REQUIRE(log.metrics.size() == 5);
  CHECK(log.metrics.front().epoch == 0);
  CHECK(log.metrics.front().step == 0);
  // Chance is 90% error; a plain PyTorch script gets about 64% here.
  CHECK(log.metrics.back().test_error < 0.70);
  CHECK(log.metrics.back().train_error < log.metrics.front().train_error);
}

TEST_CASE("the same seed gives identical metrics on CPU", "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config = small_run(500, 1);
  config.augment = true;
  MetricsLog first, second;
  train(config, {&first});
  train(config, {&second});
  REQUIRE(first.metrics.size() == second.metrics.size());
  for (size_t i = 0; i < first.metrics.size(); ++i) {
    CHECK(first.metrics[i].train_loss == second.metrics[i].train_loss);
    CHECK(first.metrics[i].test_loss == second.metrics[i].test_loss);
    CHECK(first.metrics[i].train_loss_running == second.metrics[i].train_loss_running);
  }
  config.seed = 1;
  MetricsLog other_seed;
  train(config, {&other_seed});
  CHECK(other_seed.metrics.back().train_loss != first.metrics.back().train_loss);
}

TEST_CASE("a non-finite loss stops the run as diverged with its step", "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config = small_run(500, 3);
  config.lr = 1e6;
  config.model_options.init = "normal:std=1";
  TempDir dir;
  RunRecorder recorder(dir.path(), RunRecorder::Existing::kRefuse);
  const RunSummary summary = train(config, {&recorder});
  CHECK(summary.status == actlab::RunStatus::diverged);
  REQUIRE(summary.diverged_step.has_value());
  CHECK(*summary.diverged_step >= 1);
  const auto written = nlohmann::json::parse(read_file(dir / "summary.json"));
  CHECK(written["status"] == "diverged");
  CHECK(written["diverged_step"] == *summary.diverged_step);
}

TEST_CASE("a stop request ends the run as interrupted and keeps its records",
          "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  struct StopAfterFirstStep : TrainingHook {
    void after_backward(const TrainingContext&, const torch::Tensor&) override { request_stop(); }
  } stopper;
  TempDir dir;
  RunRecorder recorder(dir.path(), RunRecorder::Existing::kRefuse);
  const RunSummary summary = train(small_run(500, 2), {&stopper, &recorder});
  clear_stop_request();  // later tests in this process train again
  CHECK(summary.status == actlab::RunStatus::interrupted);
  CHECK(summary.steps == 1);
  CHECK(nlohmann::json::parse(read_file(dir / "summary.json"))["status"] == "interrupted");
  CHECK(actlab::testing::count_lines(read_file(dir / "metrics.jsonl")) == 1);  // epoch 0 kept
}

TEST_CASE("a run folder that holds a run is not overwritten by accident", "[unit][train]") {
  TempDir dir;
  std::ofstream(dir / "summary.json") << "{}";
  CHECK_THROWS_WITH(RunRecorder(dir.path(), RunRecorder::Existing::kRefuse),
                    Catch::Contains("--overwrite"));
  CHECK_NOTHROW(RunRecorder(dir.path(), RunRecorder::Existing::kOverwrite));
}

TEST_CASE("evaluations inside an epoch: after the first step past each k/N", "[unit][training]") {
  auto steps_with_evaluation = [](int64_t steps_per_epoch, int evals_per_epoch) {
    std::vector<int64_t> steps;
    for (int64_t s = 1; s <= steps_per_epoch; ++s) {
      if (evaluates_mid_epoch(s, steps_per_epoch, evals_per_epoch)) steps.push_back(s);
    }
    return steps;
  };
  CHECK(steps_with_evaluation(10, 1).empty());
  CHECK(steps_with_evaluation(10, 2) == std::vector<int64_t>{5});
  CHECK(steps_with_evaluation(10, 4) == std::vector<int64_t>{3, 5, 8});
  CHECK(steps_with_evaluation(390, 10).size() == 9);
  // More evaluations than steps: one after every step but the last (the epoch end has its own).
  CHECK(steps_with_evaluation(3, 20) == std::vector<int64_t>{1, 2});
  TrainConfig config;
  config.evals_per_epoch = 0;
  CHECK_THROWS_WITH(resolve(config), Catch::Contains("--evals-per-epoch must be >= 1"));
}

TEST_CASE(
    "evals per epoch (--evals-per-epoch N): N evaluations per epoch, targets at fractions, same "
    "training",
    "[data][integration][training]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config = small_run(640, 2);  // 5 steps of 128 per epoch
  config.probe_images = 50;
  config.probe_same_sign_images = 4;
  MetricsLog once;
  train(config, {&once});
  config.evals_per_epoch = 5;
  TempDir dir;
  MetricsLog fine;
  ProbeHook probes(dir.path(), stdout);
  train(config, {&fine, &probes});

  REQUIRE(fine.metrics.size() == 1 + 2 * 5);
  for (size_t i = 1; i < fine.metrics.size(); ++i) {
    CAPTURE(i);
    CHECK(fine.metrics[i].position == Approx(0.2 * static_cast<double>(i)));
    CHECK(fine.metrics[i].position > fine.metrics[i - 1].position);
    CHECK(fine.metrics[i].step == static_cast<int64_t>(i));
    CHECK(fine.metrics[i].epoch_end == (i % 5 == 0));
    CHECK(fine.metrics[i].epoch == static_cast<int>((i + 4) / 5));
  }
  // Evaluating changes nothing about training: the epoch ends agree with the 1-per-epoch run.
  REQUIRE(once.metrics.size() == 3);
  for (size_t e = 0; e < 3; ++e) {
    CHECK(fine.metrics[e * 5].train_loss == once.metrics[e].train_loss);
    CHECK(fine.metrics[e * 5].test_error == once.metrics[e].test_error);
    CHECK(fine.metrics[e * 5].train_loss_running == once.metrics[e].train_loss_running);
  }
  // Probes stay at epoch ends: epochs 0, 1, 2.
  std::set<int> probed_epochs;
  for (const auto& line : split(read_file(dir / "layers.jsonl"), '\n'))
    probed_epochs.insert(nlohmann::json::parse(line)["epoch"].get<int>());
  CHECK(probed_epochs == std::set<int>{0, 1, 2});

  // A threshold first met inside epoch 1 resolves to its fractional position.
  double lowest = 1;
  for (size_t i = 1; i < 5; ++i) lowest = std::min(lowest, fine.metrics[i].train_error);
  REQUIRE(lowest < fine.metrics[0].train_error);
  const auto result = convergence_json(fine.metrics, {{"train_error", lowest}});
  const auto& target = result["targets"][0];
  CHECK(target["reached"] == true);
  CHECK(target["epoch"] == 1);
  const double position = target["position"].get<double>();
  CHECK(position < 1);
  CHECK(position > 0);
  CHECK(position != std::round(position));
}

TEST_CASE("activation cost: measured on the model's shapes, leaving the model and RNG as found",
          "[unit][training]") {
  torch::manual_seed(2);
  ModelOptions options;
  options.activation = "sigmoid";
  options.batch_norm = true;
  Network model = build_model("krizhevsky4", options);
  std::vector<torch::Tensor> before;
  for (const auto& t : model->parameters()) before.push_back(t.clone());
  for (const auto& t : model->buffers()) before.push_back(t.clone());
  torch::manual_seed(7);
  const auto cost = measure_activation_cost(*model, "sigmoid", 8, torch::kCPU, 3);
  const auto draw_after = torch::randn({4});
  torch::manual_seed(7);
  CHECK(torch::equal(draw_after, torch::randn({4})));  // the global generator was not used
  size_t k = 0;
  for (const auto& t : model->parameters()) {
    CHECK(torch::equal(t, before[k++]));
    CHECK_FALSE(t.grad().defined());
  }
  for (const auto& t : model->buffers()) CHECK(torch::equal(t, before[k++]));
  CHECK(model->is_training());

  CHECK(cost["activation"] == "sigmoid");
  CHECK(cost["cost_activation_layers"] == 3);
  // conv1, conv2, conv3 outputs before pooling: 32x32x32, 32x16x16, 64x8x8 per image.
  CHECK(cost["cost_elements_per_step"] == 8 * (32 * 32 * 32 + 32 * 16 * 16 + 64 * 8 * 8));
  for (const char* field :
       {"activation_cost_ns_per_element", "relu_cost_ns_per_element", "activation_cost_vs_relu",
        "step_forward_backward_seconds", "activation_share_of_step"}) {
    CAPTURE(field);
    CHECK(cost[field].get<double>() > 0);
  }
  CHECK(cost["activation_share_of_step"].get<double>() ==
        Approx(cost["activation_seconds_per_step"].get<double>() /
               cost["step_forward_backward_seconds"].get<double>()));
}

TEST_CASE("channels-last training keeps every convolution weight in NHWC memory through training",
          "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  // Which layout the weights are in, at the start and after each evaluation.
  struct LayoutLog : TrainingHook {
    std::vector<bool> all_channels_last;
    int64_t weights = 0;
    void check(const TrainingContext& context) {
      bool all = true;
      weights = 0;
      for (const auto& parameter : context.model->parameters()) {
        if (parameter.dim() != 4) continue;
        ++weights;
        all = all && parameter.is_contiguous(torch::MemoryFormat::ChannelsLast) &&
              !parameter.is_contiguous();
      }
      all_channels_last.push_back(all);
    }
    void on_start(const TrainingContext& context) override { check(context); }
    void on_evaluation(const TrainingContext& context, const EpochMetrics&) override {
      check(context);
    }
  };
  TrainConfig config = small_run(200, 1);
  LayoutLog nchw;
  train(config, {&nchw});
  CHECK(nchw.weights == 3);  // krizhevsky4's three convolutions
  for (bool all : nchw.all_channels_last) CHECK_FALSE(all);
  config.channels_last = true;
  LayoutLog nhwc;
  train(config, {&nhwc});
  REQUIRE(nhwc.all_channels_last.size() >= 2);
  for (bool all : nhwc.all_channels_last) CHECK(all);
}
