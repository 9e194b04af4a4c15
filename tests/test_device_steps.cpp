// The training step's device-side pieces (no host sync per step on CUDA): gradient clipping, the
// finite-loss check, the per-step gradient norms. On the CPU each must give today's numbers.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/network.h"
#include "src/core/build_info.h"
#include "src/core/files.h"
#include "src/probes/gradient_norms.h"
#include "src/probes/probe_hook.h"
#include "src/train/cuda_settings.h"
#include "src/train/finite_check.h"
#include "src/train/gradient_clip.h"
#include "src/train/train_options.h"
#include "src/train/trainer.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::TempDir;

namespace {

// A real network with the gradients of one real loss on a random batch.
Network model_with_gradients(const torch::Device& device, uint64_t seed) {
  torch::manual_seed(seed);
  ModelOptions options;
  options.batch_norm = true;
  Network model = build_model("krizhevsky4", options);
  model->to(device);
  const auto images = torch::randn({16, 3, 32, 32}).to(device);
  const auto labels = (torch::arange(16) % 10).to(device);
  torch::cross_entropy_loss(model->forward(images), labels).backward();
  return model;
}

std::vector<torch::Tensor> gradients_of(Network& model) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
  return grads;
}

double brute_force_norm(const std::vector<torch::Tensor>& grads) {
  double sum = 0;
  for (const auto& g : grads) sum += g.to(torch::kFloat64).square().sum().item<double>();
  return std::sqrt(sum);
}

bool device_steps_skip_without_cuda() {
  if (torch::cuda::is_available()) return false;
  std::cout << "SKIPPED: no CUDA device (this LibTorch is CPU-only or no GPU is visible)\n";
  return true;
}

const double kNaNLoss = std::numeric_limits<double>::quiet_NaN();
const double kInfLoss = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("device-side clipping scales gradients exactly as clip_grad_norm_ and counts clips",
          "[unit][train]") {
  Network reference = model_with_gradients(torch::kCPU, 3);
  Network clipped = model_with_gradients(torch::kCPU, 3);
  const double norm = brute_force_norm(gradients_of(reference));
  REQUIRE(norm > 0.1);

  GradientClipper clipper(norm / 4);
  const double expected = torch::nn::utils::clip_grad_norm_(reference->parameters(), norm / 4);
  const auto total = clipper.clip(clipped->parameters());
  CHECK(total.item<double>() == expected);  // the same float32 norm
  CHECK(total.item<double>() == Approx(norm).epsilon(1e-5));
  const auto want = gradients_of(reference);
  const auto got = gradients_of(clipped);
  for (size_t i = 0; i < want.size(); ++i) CHECK(torch::equal(want[i], got[i]));  // bit for bit
  CHECK(brute_force_norm(got) == Approx(norm / 4).epsilon(1e-4));

  // Below the threshold nothing moves and the step is not counted.
  GradientClipper loose(norm * 2);
  const auto before = gradients_of(clipped);
  loose.clip(clipped->parameters());
  loose.clip(clipped->parameters());
  for (size_t i = 0; i < before.size(); ++i)
    CHECK(torch::equal(before[i], gradients_of(clipped)[i]));
  CHECK(loose.take_clipped_steps() == 0);

  // Counted on the device across steps, read back and reset by take_clipped_steps().
  clipper.clip(model_with_gradients(torch::kCPU, 4)->parameters());
  CHECK(clipper.take_clipped_steps() == 2);
  CHECK(clipper.take_clipped_steps() == 0);
  // No gradients at all: nothing to clip, nothing counted.
  Network fresh = build_model("krizhevsky4", ModelOptions{});
  CHECK_FALSE(clipper.clip(fresh->parameters()).defined());
  CHECK(clipper.take_clipped_steps() == 0);
}

TEST_CASE(
    "the finite check reads each step on the CPU and every N steps on CUDA with the first bad step",
    "[unit][train]") {
  const auto loss = [](double value) { return torch::tensor(value, torch::kFloat32); };
  SECTION("read_every 1 (the CPU): the first non-finite step, as it happens") {
    auto check = FiniteCheck::for_device(torch::kCPU);
    CHECK(check.read_every() == 1);
    CHECK_FALSE(check.observe(loss(2.3), 1));
    const auto found = check.observe(loss(kInfLoss), 2);
    REQUIRE(found);
    CHECK(found->step == 2);
    CHECK(found->loss == kInfLoss);
  }
  SECTION("read_every 4: told at the 4th step, of the first bad step and its loss") {
    FiniteCheck check(4);
    CHECK_FALSE(check.observe(loss(2.3), 1));
    CHECK_FALSE(check.observe(loss(kNaNLoss), 2));
    CHECK_FALSE(check.observe(loss(-kInfLoss), 3));  // a later bad step does not replace the first
    const auto found = check.observe(loss(1.0), 4);
    REQUIRE(found);
    CHECK(found->step == 2);
    CHECK(std::isnan(found->loss));
    CHECK(check.observe(loss(1.0), 5)->step == 2);  // stays known
  }
  SECTION("read_every 4: all finite reads back nothing; flush() reads a partial window") {
    FiniteCheck check(4);
    for (int64_t step = 1; step <= 8; ++step) CHECK_FALSE(check.observe(loss(0.5), step));
    CHECK_FALSE(check.flush());
    CHECK_FALSE(check.observe(loss(-kInfLoss), 9));
    const auto found = check.flush();
    REQUIRE(found);
    CHECK(found->step == 9);
    CHECK(found->loss == -kInfLoss);
  }
  CHECK_THROWS(FiniteCheck(0));
  CHECK_THROWS(FiniteCheck(1).observe(loss(1.0), 0));
}

TEST_CASE("per-parameter squared gradient norms: exact per tensor or fused", "[unit][probes]") {
  Network model = model_with_gradients(torch::kCPU, 5);
  auto parameters = model->parameters();
  parameters.push_back(torch::zeros({3}, torch::requires_grad()));  // one without a gradient
  const auto exact = squared_gradient_norms(parameters, /*fused=*/false);
  const auto fused = squared_gradient_norms(parameters, /*fused=*/true);
  REQUIRE(exact.size(0) == static_cast<int64_t>(parameters.size()) + 1);
  REQUIRE(fused.sizes() == exact.sizes());
  for (size_t i = 0; i + 1 < parameters.size(); ++i) {
    CAPTURE(i);
    const auto g = parameters[i].grad();
    CHECK(exact[i].item<float>() == g.square().sum().item<float>());  // today's numbers
    CHECK(fused[i].item<double>() ==
          Approx(g.to(torch::kFloat64).square().sum().item<double>()).epsilon(1e-5));
  }
  const auto last = static_cast<int64_t>(parameters.size());
  CHECK(exact[last - 1].item<float>() == 0);  // no gradient
  CHECK(fused[last - 1].item<float>() == 0);
  CHECK(exact[last].item<float>() == 0);  // the slot of layers without a feeding weight
  CHECK(fused[last].item<float>() == 0);
}

TEST_CASE(
    "clipping in training clips all steps at a tiny norm and none at a huge one and records "
    "per-step norms before clipping",
    "[data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.train_subset = 512;
  config.test_subset = 200;
  config.train_eval_images = 200;
  config.batch_size = 64;
  config.epochs = 1;
  config.augment = false;
  config.probe_images = 64;
  config.probe_per_step = true;
  config.device = "cpu";
  config.clip_norm = 1e-3;
  config = resolve(config);
  TempDir dir;
  ProbeHook probes(dir.path(), stdout);
  const auto tight = train(config, {&probes});
  REQUIRE(tight.status == actlab::RunStatus::completed);
  CHECK(tight.steps == 8);
  CHECK(tight.clipped_steps == 8);

  std::istringstream lines(read_file(dir / "gradients.jsonl"));
  std::string line;
  int64_t step = 0;
  while (std::getline(lines, line)) {
    const auto record = nlohmann::json::parse(line);
    CHECK(record["step"] == ++step);
    CHECK(record["epoch"] == 1);
    CHECK(record["global_grad_norm"].get<double>() > config.clip_norm);
    double layer_squares = 0;
    for (const auto& norm : record["layer_grad_norms"])
      layer_squares += norm.get<double>() * norm.get<double>();
    CHECK(std::sqrt(layer_squares) <= record["global_grad_norm"].get<double>() * (1 + 1e-6));
  }
  CHECK(step == 8);

  config.clip_norm = 1e9;
  TempDir other;
  ProbeHook more_probes(other.path(), stdout);
  const auto loose = train(config, {&more_probes});
  CHECK(loose.clipped_steps == 0);
  // The first step's gradients are the same in both runs (same seed, clipping comes after them).
  const auto first = [](const std::string& text) {
    return nlohmann::json::parse(text.substr(0, text.find('\n')))["global_grad_norm"].get<double>();
  };
  CHECK(first(read_file(other / "gradients.jsonl")) == first(read_file(dir / "gradients.jsonl")));
}

TEST_CASE("cuDNN versions print as major.minor.patch", "[unit]") {
  CHECK(format_cudnn_version(92600) == "9.26.0");
  CHECK(format_cudnn_version(90100) == "9.1.0");
  CHECK(format_cudnn_version(8907) == "8.9.7");
}

TEST_CASE("clipping and the finite check and gradient norms agree between CPU and CUDA", "[cuda]") {
  if (device_steps_skip_without_cuda()) return;
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  Network cpu = model_with_gradients(torch::kCPU, 6);
  Network cuda = model_with_gradients(torch::kCPU, 6);
  cuda->to(torch::kCUDA);
  for (size_t i = 0; i < cpu->parameters().size(); ++i) {
    cuda->parameters()[i].mutable_grad() = cpu->parameters()[i].grad().cuda();
  }
  const auto on_cpu = squared_gradient_norms(cpu->parameters(), /*fused=*/false);
  const auto on_cuda = squared_gradient_norms(cuda->parameters(), /*fused=*/true);
  CHECK(on_cuda.is_cuda());
  CHECK(torch::allclose(on_cuda.cpu(), on_cpu, 1e-5, 1e-12));

  GradientClipper cpu_clipper(0.01), cuda_clipper(0.01);
  const auto cpu_norm = cpu_clipper.clip(cpu->parameters());
  const auto cuda_norm = cuda_clipper.clip(cuda->parameters());
  CHECK(cuda_norm.is_cuda());
  CHECK(cuda_norm.item<double>() == Approx(cpu_norm.item<double>()).epsilon(1e-5));
  CHECK(cuda_clipper.take_clipped_steps() == 1);

  FiniteCheck check(3);
  const auto options = torch::TensorOptions().device(torch::kCUDA);
  CHECK_FALSE(check.observe(torch::tensor(1.0, options), 1));
  CHECK_FALSE(check.observe(torch::tensor(kNaNLoss, options), 2));
  const auto found = check.observe(torch::tensor(1.0, options), 3);
  REQUIRE(found);
  CHECK(found->step == 2);
}

TEST_CASE(
    "the cuDNN flags --cudnn-benchmark and --cudnn-deterministic reach config.json and LibTorch",
    "[unit][train]") {
  TrainConfig defaults;
  CHECK(to_json(resolve(defaults))["cudnn_benchmark"] == false);
  CHECK(to_json(resolve(defaults))["cudnn_deterministic"] == false);

  CLI::App app;
  TrainConfig config;
  add_train_options(app, config);
  app.parse("--cudnn-benchmark --cudnn-deterministic", /*program_name_included=*/false);
  const auto json = to_json(resolve(config));
  CHECK(json["cudnn_benchmark"] == true);
  CHECK(json["cudnn_deterministic"] == true);

  apply_cuda_settings(config);
  CHECK(at::globalContext().benchmarkCuDNN());
  CHECK(at::globalContext().deterministicCuDNN());
  apply_cuda_settings(defaults);
  CHECK_FALSE(at::globalContext().benchmarkCuDNN());
  CHECK_FALSE(at::globalContext().deterministicCuDNN());
}
