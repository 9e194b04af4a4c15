// The `actlab` binary as users run it: real processes, real files.
#include <torch/version.h>
#include <algorithm>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "src/core/files.h"
#include "src/harness/results.h"
#include "tests/helpers.h"

using actlab::read_jsonl;  // the records reader the tables use

using actlab::testing::count_lines;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;

TEST_CASE("actlab list shows 20 activations and 6 models", "[cli]") {
  const auto activations = run_actlab("list activations");
  CHECK(activations.exit_code == 0);
  CHECK_THAT(activations.output, Catch::StartsWith("20 activations"));
  CHECK_THAT(activations.output, Catch::Contains("relu_subgradient") && Catch::Contains("at_zero"));
  CHECK_THAT(activations.output, Catch::Contains("scaled_sigmoid") && Catch::Contains("[0, 1]"));
  CHECK_THAT(activations.output, Catch::Contains("centered_sigmoid") &&
                                     Catch::Contains("bipolar_sigmoid") &&
                                     Catch::Contains("[4.54e-05, 0.25]"));
  const auto models = run_actlab("list models");
  CHECK(models.exit_code == 0);
  CHECK_THAT(models.output, Catch::StartsWith("6 models"));
  for (const char* name :
       {"krizhevsky4", "krizhevsky18pct", "krizhevsky80sec", "plain", "vgg", "resnet"})
    CHECK_THAT(models.output, Catch::Contains(name));
  CHECK_THAT(models.output, Catch::Contains("conv1 5x5 3->32"));
  CHECK_THAT(models.output,
             Catch::Contains("rnorm1 3x3 same-map") && Catch::Contains("fc64 fc 1024->64"));
  CHECK_THAT(models.output, Catch::Contains("--preact") &&
                                Catch::Contains("--zero-init-residual/--no-zero-init-residual"));
}

TEST_CASE("actlab --version names the LibTorch and the devices and whether CUDA is compiled in",
          "[cli]") {
  const auto result = run_actlab("--version");
  CHECK(result.exit_code == 0);
  INFO(result.output);
  CHECK_THAT(result.output, Catch::StartsWith("actlab 0.1.0 (commit "));
  CHECK_THAT(result.output, Catch::Contains("\nLibTorch " TORCH_VERSION "\n"));
  CHECK(std::regex_search(result.output, std::regex("\ndevices: cpu \\(\\d+ cores, [^)]+\\)")));
  if (ACTLAB_LIBTORCH_CUDA) {  // the LibTorch's CMake config says it is a CUDA build
    CHECK(std::regex_search(
        result.output,
        std::regex("\nCUDA: compiled in \\(CUDA \\d+\\.\\d+, cuDNN \\d+\\.\\d+\\.\\d+\\)\n")));
    CHECK(std::regex_search(result.output,
                            std::regex(", cuda: (\\d+ visible|none visible( \\(.+\\))?)\n?$")));
  } else {
    CHECK_THAT(result.output, Catch::Contains("\nCUDA: not compiled in (CPU-only LibTorch"));
    CHECK_THAT(result.output, !Catch::Contains("cuda:"));
  }
}

namespace {

// The subcommands a --help text lists under "Subcommands:" (CLI11's layout): "  name   text".
std::vector<std::string> listed_subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help.substr(std::min(help.find("Subcommands:"), help.size())));
  std::string line;
  std::getline(lines, line);  // the heading itself
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, std::regex("^  ([a-z][a-z_-]*)\\s")))
      names.push_back(match[1]);
  }
  return names;
}

}  // namespace

TEST_CASE("every command has --help", "[cli]") {
  // The commands come from actlab's own --help, two levels deep, so a new one cannot be missed.
  std::vector<std::string> commands = {""};
  for (size_t i = 0; i < commands.size(); ++i) {
    const auto result = run_actlab(commands[i] + " --help");
    CAPTURE(commands[i]);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains("Usage") || Catch::Contains("usage"));
    for (const auto& name : listed_subcommands(result.output))
      commands.push_back(commands[i].empty() ? name : commands[i] + " " + name);
  }
  for (const char* expected : {"train", "run", "collect", "compare", "verdict", "report", "results",
                               "list", "data", "data prepare", "data fingerprint"}) {
    CAPTURE(expected);
    CHECK(std::count(commands.begin(), commands.end(), expected) == 1);
  }
  CHECK_THAT(run_actlab("train --help").output,
             Catch::Contains("--activation") && Catch::Contains("--bias-init") &&
                 Catch::Contains("--init-stds") && Catch::Contains("--evals-per-epoch") &&
                 Catch::Contains("--measure-activation-cost") && Catch::Contains("gain=G"));
}

TEST_CASE("an unknown activation is a one-line error and a non-zero exit", "[cli]") {
  TempDir dir;
  const auto result =
      run_actlab(fmt::format("train --activation swish2 --out '{}'", (dir / "run").string()));
  CHECK(result.exit_code != 0);
  CHECK(count_lines(result.output) == 1);
  CHECK_THAT(result.output,
             Catch::Contains("unknown activation 'swish2'") && Catch::Contains("relu"));
}

TEST_CASE("a missing data folder is a one-line error and a non-zero exit", "[cli]") {
  TempDir dir;
  const auto result = run_actlab(fmt::format(
      "train --data '{}' --out '{}'", (dir / "no-such-data").string(), (dir / "run").string()));
  CHECK(result.exit_code != 0);
  CHECK(count_lines(result.output) == 1);
  CHECK_THAT(result.output,
             Catch::Contains("no-such-data") && Catch::Contains("actlab data prepare"));
}

TEST_CASE("a truncated data file is a one-line error and a non-zero exit", "[cli]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  for (int i = 1; i <= 5; ++i) {
    std::ofstream(dir / "data" / fmt::format("data_batch_{}.bin", i), std::ios::binary)
        << std::string(3073, '\1');
  }
  std::ofstream(dir / "data" / "test_batch.bin", std::ios::binary)
      << std::string(3073 + 1000, '\1');
  const auto result = run_actlab(
      fmt::format("train --data '{}' --out '{}'", (dir / "data").string(), (dir / "run").string()));
  CHECK(result.exit_code != 0);
  CHECK(count_lines(result.output) <= 2);  // the progress header may precede it
  CHECK_THAT(result.output, Catch::Contains("test_batch.bin") && Catch::Contains("truncated"));
}

TEST_CASE("actlab train writes config, metrics and summary with the documented fields",
          "[cli][data]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  const auto result =
      run_actlab(fmt::format("train --model krizhevsky4 --activation relu --train-subset 1000 "
                             "--test-subset 500 --epochs 1 "
                             "--data '{}' --out '{}'",
                             actlab::testing::cifar10_dir().string(), (dir / "run").string()));
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("epoch 1/1") && Catch::Contains("img/s"));

  const auto config = nlohmann::json::parse(actlab::read_file(dir / "run" / "config.json"));
  for (const char* key : {"model", "activation", "lr", "seed", "threads", "device", "resolved"}) {
    CHECK(config.contains(key));
  }
  CHECK(config["resolved"].contains("libtorch_version"));
  CHECK(config["resolved"].contains("git_commit"));

  std::istringstream lines(actlab::read_file(dir / "run" / "metrics.jsonl"));
  std::string line;
  int records = 0;
  while (std::getline(lines, line)) {
    const auto record = nlohmann::json::parse(line);
    for (const char* key : {"epoch", "step", "train_loss", "train_error", "test_loss", "test_error",
                            "lr", "seconds", "images_per_second"}) {
      CHECK(record.contains(key));
    }
    CHECK(record["epoch"] == records);
    ++records;
  }
  CHECK(records == 2);

  const auto summary = nlohmann::json::parse(actlab::read_file(dir / "run" / "summary.json"));
  CHECK(summary["status"] == "completed");
  for (const char* key : {"final_test_error", "best_test_error", "total_seconds"})
    CHECK(summary.contains(key));

  // A second run into the same folder refuses, and leaves the first intact.
  const auto again =
      run_actlab(fmt::format("train --data '{}' --out '{}'",
                             actlab::testing::cifar10_dir().string(), (dir / "run").string()));
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.output, Catch::Contains("--overwrite"));
  CHECK(nlohmann::json::parse(actlab::read_file(dir / "run" / "summary.json"))["status"] ==
        "completed");
}

namespace {

std::string probe_run(const TempDir& dir, const std::string& name, const std::string& options) {
  return fmt::format(
      "train --model plain --depth 12 --epochs 1 --train-subset 2000 --test-subset 500 {} "
      "--data '{}' --out '{}'",
      options, actlab::testing::cifar10_dir().string(), (dir / name).string());
}

}  // namespace

TEST_CASE("train with probe full writes a finite record per activation layer at epochs 0 and 1",
          "[cli][data][probes]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  const auto result = run_actlab(probe_run(dir, "sigmoid", "--activation sigmoid --probe full"));
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("probes: max dead_fraction"));
  const auto records = read_jsonl(dir / "sigmoid" / "layers.jsonl");
  REQUIRE(records.size() == 24);
  const std::vector<std::string> fields = {"epoch",
                                           "step",
                                           "layer",
                                           "index",
                                           "dead_fraction",
                                           "dead_fraction_units",
                                           "sparsity",
                                           "near_zero_fraction",
                                           "preact_negative_fraction",
                                           "small_output_fraction",
                                           "saturation_fraction",
                                           "mean_derivative",
                                           "preact_mean",
                                           "preact_std",
                                           "act_mean",
                                           "act_std",
                                           "act_rms",
                                           "act_abs_max",
                                           "input_nonneg_fraction",
                                           "grad_act_rms",
                                           "grad_weight_norm",
                                           "same_sign_fraction"};
  for (size_t i = 0; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK(records[i]["epoch"] == (i < 12 ? 0 : 1));
    CHECK(records[i]["index"] == i % 12);
    for (const auto& name : fields) {
      CAPTURE(name);
      REQUIRE(records[i].contains(name));
      if (records[i][name].is_number()) CHECK(std::isfinite(records[i][name].get<double>()));
      if (name != "layer") CHECK(records[i][name].is_number());
    }
  }
  CHECK(records[12]["train_weight_grad_norm"].is_number());
  CHECK(records[12]["train_update_ratio"].is_number());
  CHECK(read_jsonl(dir / "sigmoid" / "histograms.jsonl").size() == 24);
  CHECK(read_jsonl(dir / "sigmoid" / "gradients.jsonl").size() == 1);
}

TEST_CASE("bias -3 leaves ReLU and leaky ReLU channels all-negative, only ReLU ones dead",
          "[cli][data][probes]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  REQUIRE(run_actlab(probe_run(dir, "relu", "--activation relu --bias-init -3")).exit_code == 0);
  double max_dead = 0;
  for (const auto& record : read_jsonl(dir / "relu" / "layers.jsonl")) {
    max_dead = std::max(max_dead, record["dead_fraction"].get<double>());
  }
  CHECK(max_dead > 0.5);
  REQUIRE(run_actlab(probe_run(dir, "leaky", "--activation leaky_relu --bias-init -3")).exit_code ==
          0);
  // Leaky ReLU cannot reach f' = 0, so "no dead channel" holds by construction; the same
  // all-negative state, measured by one criterion for both, must show for it too.
  double max_negative = 0;
  for (const auto& record : read_jsonl(dir / "leaky" / "layers.jsonl")) {
    CHECK(record["dead_fraction"] == 0.0);
    max_negative = std::max(max_negative, record["negative_fraction"].get<double>());
  }
  CHECK(max_negative > 0.5);
}
