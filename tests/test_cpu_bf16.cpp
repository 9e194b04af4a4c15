// bf16 autocast on the CPU: what the activations see under it, and when `--bf16` is allowed.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "models/network.h"
#include "src/core/compat.h"
#include "src/core/cpus.h"
#include "tests/helpers.h"
#include "tests/probe_helpers.h"

namespace actlab {

TEST_CASE("CPU autocast hands the activations bf16 pre-activations, and fp32 once switched off",
          "[unit][bf16]") {
  torch::manual_seed(3);
  Network model = build_model("plain", testing::plain_options("relu", 3));
  auto layers = model->activation_layers();
  std::vector<torch::ScalarType> seen;
  for (auto& layer : layers) {
    layer.module->set_observer(
        [&seen](const torch::Tensor& x, const torch::Tensor&) { seen.push_back(x.scalar_type()); });
  }
  const auto images = torch::randn({4, 3, 32, 32});
  compat::set_autocast(torch::kCPU, true, torch::kBFloat16);
  model->forward(images);
  compat::set_autocast(torch::kCPU, false, torch::kBFloat16);
  REQUIRE(seen.size() == layers.size());
  for (auto type : seen) CHECK(type == torch::kBFloat16);
  seen.clear();
  model->forward(images);
  for (auto type : seen) CHECK(type == torch::kFloat32);
  for (auto& layer : layers) layer.module->set_observer(nullptr);
}

TEST_CASE("bf16 autocast on the CPU trains where the CPU has native bf16, and is refused where not",
          "[cli][data][bf16]") {
  REQUIRE(testing::have_cifar10());
  testing::TempDir dir;
  const auto run = dir / "run";
  const auto result = testing::run_actlab(fmt::format(
      "train --bf16 --device cpu --model plain --depth 3 --width 4 --train-subset 300 "
      "--test-subset 100 --batch-size 100 --epochs 1 --probe off --data '{}' --out '{}'",
      testing::cifar10_dir().string(), run.string()));
  const std::string flag = native_bf16_flag();
  const auto version = testing::run_actlab("--version");
  if (flag.empty()) {
    WARN("this CPU has no native bf16: only the refusal is tested here");
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output,
               Catch::Contains("needs native bf16") && Catch::Contains("drop --bf16"));
    CHECK_THAT(version.output, Catch::Contains("CPU bf16: not native"));
  } else {
    WARN("this CPU has native bf16 (" + flag + "): only the bf16 run is tested here");
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    const auto config = nlohmann::json::parse(std::ifstream(run / "config.json"));
    CHECK(config.at("bf16") == true);
    const auto summary = nlohmann::json::parse(std::ifstream(run / "summary.json"));
    CHECK(summary.at("status") == "completed");
    CHECK_THAT(version.output, Catch::Contains("CPU bf16: native (" + flag));
  }
}

}  // namespace actlab
