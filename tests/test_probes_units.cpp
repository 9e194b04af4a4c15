// Probe quantities about units, each checked against a brute-force count on a tiny net: units
// that die during training, and exact zeros where ReLU'(0) is a choice.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include "src/probes/probe.h"
#include "tests/probe_helpers.h"

using namespace actlab;
using namespace actlab::testing;

TEST_CASE("died during training: the probe's count equals a brute-force count of a trained net",
          "[unit][probes]") {
  torch::manual_seed(11);
  Network model = build_model("plain", plain_options("relu", 3, false, 0.0, 8));
  const auto images = torch::randn({12, 3, 32, 32});
  const auto labels = torch::arange(12) % 10;
  auto layers = model->activation_layers();
  // Brute force: every layer's pre-activation for all images at once, through the observer the
  // probes use, and a unit all-negative when x < 0 everywhere.
  auto all_negative = [&] {
    std::vector<torch::Tensor> negative(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
      layers[i].module->set_observer([&negative, i](const torch::Tensor& x, const torch::Tensor&) {
        auto reached = x.detach().ge(0);
        if (reached.dim() > 2) reached = reached.flatten(2).any(2);
        negative[i] = reached.any(0).logical_not();
      });
    }
    torch::NoGradGuard no_grad;
    model->forward(images);
    for (auto& layer : layers) layer.module->set_observer(nullptr);
    return negative;
  };
  ProbeSettings settings;
  settings.chunk_size = 5;
  ProbeMemory memory;
  const auto at_init = all_negative();
  probe_layers(*model, images, labels, settings, &memory);
  // A large rate on a tiny set kills units (measured: some die in every layer at this seed).
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(3.0));
  for (int step = 0; step < 10; ++step) {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(images), labels).backward();
    sgd.step();
  }
  const auto now = all_negative();
  const auto records = probe_layers(*model, images, labels, settings, &memory);
  REQUIRE(records.size() == layers.size());
  int64_t died_in_net = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const int64_t died = at_init[i].logical_not().logical_and(now[i]).sum().item<int64_t>();
    died_in_net += died;
    CAPTURE(i, died);
    CHECK(records[i].at("died_units") == died);
    CHECK(records[i].at("first_alive_units") ==
          at_init[i].numel() - at_init[i].sum().item<int64_t>());
    CHECK(field(records[i], "died_fraction") == Approx(static_cast<double>(died) / now[i].numel()));
  }
  CHECK(died_in_net > 0);  // the test compares something
}

TEST_CASE("exact zeros: the probe's counts equal a brute-force forward and backward pass",
          "[unit][probes]") {
  torch::manual_seed(5);
  Network model = build_model("plain", plain_options("relu", 3, false, 0.0, 8));
  // All-zero images and bias 0 give exact zeros in the first layer; ReLU's zeros then give some
  // in the next layers. Random images give almost none.
  auto images = torch::randn({10, 3, 32, 32});
  images.slice(0, 0, 4).zero_();
  const auto labels = torch::arange(10) % 10;
  auto layers = model->activation_layers();
  std::vector<torch::Tensor> x(layers.size()), grad(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].module->set_observer([&, i](const torch::Tensor& pre, const torch::Tensor& a) {
      x[i] = pre.detach();
      a.register_hook([&, i](const torch::Tensor& g) { grad[i] = g; });
    });
  }
  const auto loss = torch::nn::functional::cross_entropy(
      model->forward(images), labels,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  loss.backward();
  for (auto& layer : layers) layer.module->set_observer(nullptr);
  model->zero_grad();

  ProbeSettings settings;
  settings.chunk_size = 3;  // chunks that split the zero images from the others
  const auto records = probe_layers(*model, images, labels, settings, nullptr);
  REQUIRE(records.size() == layers.size());
  double zeros_in_net = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto zero = x[i].eq(0);
    const auto matters = zero.logical_and(grad[i].ne(0));
    const double n = static_cast<double>(x[i].numel());
    CAPTURE(i);
    CHECK(field(records[i], "exact_zero_fraction") == Approx(zero.sum().item<double>() / n));
    CHECK(field(records[i], "subgradient_matters_fraction") ==
          Approx(matters.sum().item<double>() / n));
    CHECK(field(records[i], "subgradient_matters_images") ==
          Approx(matters.flatten(1).any(1).sum().item<double>() / 10));
    zeros_in_net += matters.sum().item<double>();
  }
  // In a zero image every layer's x is 0 and LibTorch's ReLU'(0) = 0 stops the backward below
  // the last layer: there, nearest the loss, f'(0) matters for each of the 4 zero images.
  CHECK(field(records.back(), "subgradient_matters_images") == Approx(0.4));
  CHECK(field(records[0], "exact_zero_fraction") >= 0.4);
  CHECK(zeros_in_net > 0);
}

TEST_CASE("a blown-up layer's moments stay finite, and an all-zero layer's outputs are all small",
          "[unit][probes]") {
  auto record_of = [](const std::string& quantity, const torch::Tensor& a) {
    ForwardChunk chunk;
    chunk.x = a;
    chunk.a = a;
    chunk.derivative = torch::ones_like(a);
    chunk.abs_derivative = chunk.derivative;
    auto q = quantity_registry().get(quantity).make();
    q->add_forward(chunk);
    q->add_forward(chunk);  // two chunks: the running sums
    nlohmann::json record;
    q->write(LayerGradients{}, record);
    return record;
  };
  // Outputs of 3e20 square to inf in float32 (above ~1.8e19).
  const auto huge = torch::full({2, 4, 3, 3}, 3e20F);
  const auto moments = record_of("moments", huge);
  CHECK(moments["act_rms"].get<double>() == Approx(3e20).epsilon(1e-6));
  // A constant layer: its spread is 0 up to float32's ~7 digits of the sum of squares.
  CHECK(std::isfinite(moments["preact_std"].get<double>()));
  CHECK(moments["preact_std"].get<double>() < 1e-3 * 3e20);
  // A dead layer (every output 0, so the RMS is 0): every output is small, not none.
  const auto sparsity = record_of("sparsity", torch::zeros({2, 4, 3, 3}));
  CHECK(sparsity["small_output_fraction"].get<double>() == 1.0);
  CHECK(sparsity["sparsity"].get<double>() == 1.0);
}
