#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "src/core/files.h"
#include "src/probes/layer_binding.h"
#include "src/probes/probe.h"
#include "src/probes/probe_hook.h"
#include "src/train/trainer.h"
#include "tests/helpers.h"
#include "tests/probe_helpers.h"

using namespace actlab;
using actlab::testing::TempDir;
using namespace actlab::testing;

TEST_CASE("layers bind to the conv/linear that feeds them and the one that consumes them",
          "[unit][probes]") {
  Network resnet = build_model("resnet", plain_options("relu", 20, true, 0, 16));
  const auto layers = bind_layers(*resnet);
  REQUIRE(layers.size() == 19);
  CHECK(layers[0].name == "stem.act");
  CHECK(layers[0].feeding_name == "stem.conv");
  CHECK(layers[0].consumer_name == "stage1.block1.conv1");
  CHECK(layers[1].feeding_name == "stage1.block1.conv1");
  CHECK(layers[1].consumer_name == "stage1.block1.conv2");
  CHECK(layers[2].consumer_name == "stage1.block2.conv1");
  CHECK(layers.back().consumer_name == "classifier");
  Network k4 = build_model("krizhevsky4", {});
  CHECK(bind_layers(*k4)[2].consumer_name == "classifier");
}

TEST_CASE("pre-activation resnet layers bind and probe like the others", "[unit][probes]") {
  const bool batch_norm = GENERATE(false, true);
  CAPTURE(batch_norm);
  ModelOptions options = plain_options("relu", 20, batch_norm, 0, 8);
  options.preact = true;
  options.zero_init_residual = false;  // zeroed conv2s would give act2 layers no gradient
  Network resnet = build_model("resnet", options);
  const auto layers = bind_layers(*resnet);
  REQUIRE(layers.size() == 19);
  CHECK(layers[0].name == "stage1.block1.act1");
  CHECK(layers[0].feeding_name == "stem.conv");
  CHECK(layers[0].consumer_name == "stage1.block1.conv1");
  CHECK(layers[1].name == "stage1.block1.act2");
  CHECK(layers[1].feeding_name == "stage1.block1.conv1");
  CHECK(layers[1].consumer_name == "stage1.block1.conv2");
  CHECK(layers[2].feeding_name == "stage1.block1.conv2");
  CHECK(layers.back().name == "final.act");
  CHECK(layers.back().feeding_name == "stage3.block3.conv2");
  CHECK(layers.back().consumer_name == "classifier");

  torch::manual_seed(1);
  const auto records = probe(resnet, torch::randn({10, 3, 32, 32}), ProbeLevel::kCheap);
  REQUIRE(records.size() == 19);
  for (const auto& record : records) {
    CAPTURE(record.at("layer").get<std::string>());
    CHECK(std::isfinite(field(record, "grad_act_rms")));
    CHECK(field(record, "grad_act_rms") > 0);
    CHECK(field(record, "act_std") > 0);
  }
}

TEST_CASE("hand-built cases: bias -100 kills every ReLU, none of the leaky ones",
          "[unit][probes]") {
  torch::manual_seed(0);
  const auto images = torch::randn({20, 3, 32, 32});
  Network relu = build_model("plain", plain_options("relu", 3, false, -100));
  for (const auto& record : probe(relu, images)) {
    CHECK(field(record, "dead_fraction") == 1.0);
    CHECK(field(record, "dead_fraction_units") == 1.0);
    CHECK(field(record, "negative_fraction") == 1.0);
    CHECK(field(record, "sparsity") == 1.0);
    CHECK(field(record, "saturation_fraction") == 1.0);
  }
  Network leaky = build_model("plain", plain_options("leaky_relu", 3, false, -100));
  for (const auto& record : probe(leaky, images)) {
    CHECK(field(record, "dead_fraction") == 0.0);
    CHECK(field(record, "sparsity") == 0.0);
    // The criterion that does not depend on f' says the same for both: every unit all-negative.
    CHECK(field(record, "negative_fraction") == 1.0);
  }
}

TEST_CASE(
    "hand-built cases: sigmoid at x = 0 has mean derivative 1/4, tanh of a symmetric input is "
    "centred",
    "[unit][probes]") {
  ModelOptions options = plain_options("sigmoid", 3);
  options.init = "normal:std=0";  // all weights 0, bias 0: every pre-activation is exactly 0
  Network sigmoid = build_model("plain", options);
  const auto records = probe(sigmoid, torch::randn({10, 3, 32, 32}));
  for (const auto& record : records) {
    CHECK(field(record, "mean_derivative") == Approx(0.25));
    CHECK(field(record, "act_mean") == Approx(0.5));
    CHECK(field(record, "saturation_fraction") == 0.0);
    CHECK(field(record, "input_nonneg_fraction") == 1.0);
  }
  // tanh is odd, so inputs {v, -v} give outputs whose mean is 0 in the first layer (no bias).
  torch::manual_seed(1);
  Network tanh_net = build_model("plain", plain_options("tanh", 3));
  const auto half = torch::randn({6, 3, 32, 32});
  const auto first = probe(tanh_net, torch::cat({half, -half})).front();
  CHECK(std::abs(field(first, "act_mean")) < 1e-6);
  CHECK(std::abs(field(first, "preact_mean")) < 1e-6);
}

TEST_CASE("each statistic matches a brute-force computation", "[unit][probes]") {
  const std::string activation =
      GENERATE(as<std::string>{}, "relu", "sigmoid", "tanh", "elu", "hardtanh");
  const bool batch_norm = GENERATE(false, true);
  CAPTURE(activation, batch_norm);
  torch::manual_seed(7);
  Network model = build_model("plain", plain_options(activation, 3, batch_norm, -0.3, 6));
  const auto images = torch::randn({12, 3, 32, 32});
  const auto labels = torch::arange(12) % 10;
  const auto records = probe(model, images);

  // Reference: one forward over all images in training mode, keeping x and a per layer, then
  // loops in double precision and autograd for the gradients.
  auto layers = bind_layers(*model);
  std::vector<torch::Tensor> xs(layers.size()), as(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].activation->set_observer([&, i](const torch::Tensor& x, const torch::Tensor& a) {
      xs[i] = x;
      as[i] = a;
      a.retain_grad();
    });
  }
  // Batch-norm statistics are per chunk in the probe; compare chunk by chunk (chunk size 5).
  std::vector<std::vector<torch::Tensor>> x_chunks(layers.size()), a_chunks(layers.size()),
      g_chunks(layers.size());
  for (int64_t begin = 0; begin < 12; begin += 5) {
    const auto loss =
        torch::cross_entropy_loss(model->forward(images.slice(0, begin, begin + 5)),
                                  labels.slice(0, begin, begin + 5), {}, at::Reduction::Sum) /
        12.0;
    loss.backward();
    for (size_t i = 0; i < layers.size(); ++i) {
      x_chunks[i].push_back(xs[i].detach());
      a_chunks[i].push_back(as[i].detach());
      g_chunks[i].push_back(as[i].grad().detach());
    }
  }
  for (auto& layer : layers) layer.activation->set_observer(nullptr);

  for (size_t i = 0; i < layers.size(); ++i) {
    const auto x = torch::cat(x_chunks[i]).to(torch::kFloat64);
    const auto a = torch::cat(a_chunks[i]).to(torch::kFloat64);
    const auto g = torch::cat(g_chunks[i]).to(torch::kFloat64);
    const auto d = layers[i].activation->derivative(x);
    const double max_d = layers[i].activation->max_abs_derivative();
    const int64_t n = x.size(0), channels = x.size(1), positions = x.size(2) * x.size(3);
    const auto* xp = x.contiguous().data_ptr<double>();
    const auto* ap = a.contiguous().data_ptr<double>();
    const auto* dp = d.contiguous().data_ptr<double>();
    const auto* gp = g.contiguous().data_ptr<double>();
    double zero = 0, near_zero = 0, saturated = 0, d_sum = 0, x_sum = 0, a_sum = 0, a_sq = 0,
           g_sq = 0, abs_max = 0;
    const int64_t total = n * channels * positions;
    for (int64_t k = 0; k < total; ++k) {
      zero += ap[k] == 0;
      near_zero += std::abs(ap[k]) < 1e-3;
      saturated += std::abs(dp[k]) < 0.05 * max_d;
      d_sum += dp[k];
      x_sum += xp[k];
      a_sum += ap[k];
      a_sq += ap[k] * ap[k];
      g_sq += gp[k] * gp[k];
      abs_max = std::max(abs_max, std::abs(ap[k]));
    }
    // Outputs small against the RMS of their probe chunk (5 images here); negative inputs.
    double small = 0, negative = 0;
    for (const auto& chunk : a_chunks[i]) {
      const auto c = chunk.to(torch::kFloat64).contiguous();
      const auto* cp = c.data_ptr<double>();
      double squares = 0;
      for (int64_t k = 0; k < c.numel(); ++k) squares += cp[k] * cp[k];
      const double rms = std::sqrt(squares / c.numel());
      for (int64_t k = 0; k < c.numel(); ++k) small += std::abs(cp[k]) <= 0.05 * rms;
    }
    for (int64_t k = 0; k < total; ++k) negative += xp[k] < 0;
    int dead_channels = 0, dead_units = 0;
    for (int64_t c = 0; c < channels; ++c) {
      bool channel_alive = false;
      for (int64_t p = 0; p < positions; ++p) {
        bool unit_alive = false;
        for (int64_t image = 0; image < n; ++image)
          unit_alive |= std::abs(dp[(image * channels + c) * positions + p]) >= 1e-8;
        dead_units += !unit_alive;
        channel_alive |= unit_alive;
      }
      dead_channels += !channel_alive;
    }
    const auto& r = records[i];
    CAPTURE(i);
    CHECK(field(r, "dead_fraction") == Approx(double(dead_channels) / channels));
    CHECK(field(r, "dead_fraction_units") == Approx(double(dead_units) / (channels * positions)));
    CHECK(field(r, "sparsity") == Approx(zero / total));
    CHECK(field(r, "near_zero_fraction") == Approx(near_zero / total));
    CHECK(field(r, "preact_negative_fraction") == Approx(negative / total));
    CHECK(field(r, "small_output_fraction") == Approx(small / total));
    CHECK(field(r, "saturation_fraction") == Approx(saturated / total));
    CHECK(field(r, "mean_derivative") == Approx(d_sum / total));
    CHECK(field(r, "preact_mean") == Approx(x_sum / total).margin(1e-9));
    CHECK(field(r, "act_mean") == Approx(a_sum / total).margin(1e-9));
    CHECK(field(r, "act_std") ==
          Approx(std::sqrt(a_sq / total - std::pow(a_sum / total, 2))).epsilon(1e-4));
    CHECK(field(r, "act_abs_max") == Approx(abs_max));
    CHECK(field(r, "act_rms") == Approx(std::sqrt(a_sq / total)).epsilon(1e-6));
    CHECK(field(r, "grad_act_rms") == Approx(std::sqrt(g_sq / total)).epsilon(1e-4));
    CHECK(field(r, "grad_weight_norm") ==
          Approx(layers[i].feeding_weight.grad().norm().item<double>()).epsilon(1e-4));
  }
}

TEST_CASE("same_sign_fraction is 1 for positive inputs into a fully connected consumer",
          "[unit][probes]") {
  // krizhevsky4's last activation feeds the classifier directly (through average pooling):
  // sigmoid outputs are all positive, so each single-image row of dL/dW has one sign.
  torch::manual_seed(2);
  Network sigmoid = build_model("krizhevsky4", plain_options("sigmoid", 0, false, 0, 0));
  const auto sigmoid_last = probe(sigmoid, torch::randn({8, 3, 32, 32})).back();
  CHECK(field(sigmoid_last, "same_sign_fraction") == 1.0);
  // tanh outputs take both signs: almost no row is one-signed.
  Network tanh_net = build_model("krizhevsky4", plain_options("tanh", 0, false, 0, 0));
  const auto tanh_last = probe(tanh_net, torch::randn({8, 3, 32, 32})).back();
  CHECK(field(tanh_last, "same_sign_fraction") < 0.2);
  CHECK(field(tanh_last, "input_nonneg_fraction") < 0.8);
}

TEST_CASE("depth: a 20-layer plain sigmoid net vanishes, a He-initialised ReLU net does not",
          "[unit][probes]") {
  torch::manual_seed(0);
  const auto images = torch::randn({16, 3, 32, 32});
  Network sigmoid = build_model("plain", plain_options("sigmoid", 20, false, 0, 16));
  const auto s = probe(sigmoid, images, ProbeLevel::kCheap);
  const double sigmoid_ratio = field(s.front(), "grad_act_rms") / field(s.back(), "grad_act_rms");
  CHECK(sigmoid_ratio < 1e-3);

  ModelOptions relu_options = plain_options("relu", 20, false, 0, 16);
  relu_options.init = "kaiming";
  Network relu = build_model("plain", relu_options);
  const auto r = probe(relu, images, ProbeLevel::kCheap);
  const double relu_ratio = field(r.front(), "grad_act_rms") / field(r.back(), "grad_act_rms");
  CHECK(relu_ratio > 0.1);
  CHECK(relu_ratio < 10);
}

TEST_CASE("probing leaves the model as it found it", "[unit][probes]") {
  torch::manual_seed(3);
  Network model = build_model("plain", plain_options("relu", 3, true));
  model->eval();
  std::vector<torch::Tensor> before;
  for (const auto& t : model->parameters()) before.push_back(t.clone());
  for (const auto& t : model->buffers()) before.push_back(t.clone());
  probe(model, torch::randn({10, 3, 32, 32}));
  size_t k = 0;
  for (const auto& t : model->parameters()) {
    CHECK(torch::equal(t, before[k++]));
    CHECK_FALSE(t.grad().defined());
  }
  for (const auto& t : model->buffers()) CHECK(torch::equal(t, before[k++]));
  CHECK_FALSE(model->is_training());
}

TEST_CASE("probes never change what training computes", "[data][integration][probes]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.model = "plain";
  config.model_options.depth = 4;
  config.model_options.width = 8;
  config.model_options.batch_norm = true;
  config.train_subset = 400;
  config.test_subset = 200;
  config.probe_images = 100;
  config.epochs = 1;
  config.probe = "full";
  config.probe_update_ratio_every = 2;
  config.probe_every_steps = 2;
  config = resolve(config);
  struct Log : TrainingHook {
    std::vector<double> losses;
    void on_evaluation(const TrainingContext&, const EpochMetrics& m) override {
      losses.push_back(m.test_loss);
    }
  } without, with;
  train(config, {&without});
  TempDir dir;
  ProbeHook probes(dir.path(), stdout);
  train(config, {&probes, &with});
  CHECK(without.losses == with.losses);
  CHECK(probes.seconds() > 0);
}
