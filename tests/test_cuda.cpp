// CPU and CUDA agree. On machines without CUDA these print "SKIPPED:" and CTest reports them as
// skipped (see cmake/CatchTagLabels.cmake), not as passed.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <iostream>

#include "models/network.h"
#include "src/probes/probe.h"

using namespace actlab;

namespace {

bool skip_without_cuda() {
  if (torch::cuda::is_available()) return false;
  std::cout << "SKIPPED: no CUDA device (this LibTorch is CPU-only or no GPU is visible)\n";
  return true;
}

// The same weights on the CPU and on CUDA.
std::pair<Network, Network> twin_models(const std::string& model, ModelOptions options) {
  torch::manual_seed(0);
  Network cpu = build_model(model, options);
  Network cuda = build_model(model, options);
  torch::NoGradGuard no_grad;
  const auto source = cpu->parameters();
  auto target = cuda->parameters();
  for (size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
  cuda->to(torch::kCUDA);
  return {cpu, cuda};
}

}  // namespace

// Tolerance: 1e-4 relative with TF32 off (float32 kernels differ only in summation order).
TEST_CASE("CPU and CUDA give the same loss and per-layer probes for the same weights and batch",
          "[cuda]") {
  if (skip_without_cuda()) return;
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  const std::string model = GENERATE(as<std::string>{}, "krizhevsky4", "resnet");
  CAPTURE(model);
  ModelOptions options;
  options.batch_norm = model == "resnet";
  auto [cpu, cuda] = twin_models(model, options);
  torch::manual_seed(1);
  const auto images = torch::randn({64, 3, 32, 32});
  const auto labels = torch::arange(64) % 10;
  const auto cpu_loss = torch::cross_entropy_loss(cpu->forward(images), labels).item<double>();
  const auto cuda_loss =
      torch::cross_entropy_loss(cuda->forward(images.cuda()), labels.cuda()).item<double>();
  CHECK(cuda_loss == Approx(cpu_loss).epsilon(1e-4));

  ProbeSettings settings;
  settings.chunk_size = 32;
  settings.same_sign_images = 4;
  const auto on_cpu = probe_layers(*cpu, images, labels, settings);
  const auto on_cuda = probe_layers(*cuda, images.cuda(), labels.cuda(), settings);
  REQUIRE(on_cpu.size() == on_cuda.size());
  for (size_t i = 0; i < on_cpu.size(); ++i) {
    CAPTURE(on_cpu[i]["layer"].get<std::string>());
    for (const char* field :
         {"mean_derivative", "act_mean", "act_std", "grad_act_rms", "grad_weight_norm"}) {
      CAPTURE(field);
      CHECK(on_cuda[i][field].get<double>() ==
            Approx(on_cpu[i][field].get<double>()).epsilon(1e-4));
    }
    CHECK(on_cuda[i]["dead_fraction"] == on_cpu[i]["dead_fraction"]);
  }
}
