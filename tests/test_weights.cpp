// model.pt and probe_images.json as a run leaves them (the Python side reading them:
// test_weights_python.cpp).
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "src/activations/activation.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/probes/probe_hook.h"
#include "src/report/draw.h"
#include "src/train/device_data.h"
#include "src/train/run_recorder.h"
#include "src/train/state_dict_file.h"
#include "src/train/trainer.h"
#include "src/train/weights_hook.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("model.pt holds every parameter and buffer as a plain dict in PyTorch's zip format",
          "[unit][weights]") {
  ModelOptions options;
  options.batch_norm = true;
  options.activation = "prelu";
  options.depth = 8;
  options.width = 4;
  torch::manual_seed(3);
  Network model = build_model("resnet", options);
  {
    torch::NoGradGuard no_grad;
    model->forward(torch::randn({6, 3, 32, 32}));  // moves the batch-norm running statistics
  }
  TempDir dir;
  save_state_dict(*model, dir / "model.pt");
  const std::string bytes = read_file(dir / "model.pt");

  // The zip layout torch.save writes: archive/data.pkl, archive/data/<n>, archive/byteorder.
  CHECK(bytes.rfind("PK\x03\x04", 0) == 0);
  CHECK(bytes.find("archive/data.pkl") != std::string::npos);
  CHECK(bytes.find("archive/data/0") != std::string::npos);
  CHECK(bytes.find("archive/byteorder") != std::string::npos);
  CHECK(bytes.find("torch._utils\n_rebuild_tensor_v2") != std::string::npos);
  // torch.load(weights_only=True) refuses TorchScript's type tags (torch::pickle_save adds them).
  CHECK(bytes.find("restore_type_tag") == std::string::npos);

  const StateDict expected = state_dict(*model);
  std::set<std::string> buffers;
  for (const auto& item : model->named_buffers()) buffers.insert(item.key());
  CHECK(buffers.count("stem.bn.running_mean") == 1);
  CHECK(buffers.count("stage1.block1.bn2.num_batches_tracked") == 1);
  CHECK(expected.size() == model->parameters().size() + buffers.size());

  const StateDict loaded = load_state_dict(dir / "model.pt");
  REQUIRE(loaded.size() == expected.size());
  for (size_t i = 0; i < loaded.size(); ++i) {
    CAPTURE(expected[i].first);
    CHECK(loaded[i].first == expected[i].first);
    CHECK(loaded[i].second.dtype() == expected[i].second.dtype());
    CHECK(torch::equal(loaded[i].second, expected[i].second));
  }
  CHECK(expected.front().first == "stem.conv.weight");  // PyTorch's order: as modules register
  CHECK(std::find_if(expected.begin(), expected.end(), [](const auto& item) {
          return item.first == "stem.act.weight";  // PReLU's learned slope
        }) != expected.end());

  // Loaded into a freshly initialised model, the weights give the same outputs.
  torch::manual_seed(4);
  Network copy = build_model("resnet", options);
  copy_state_dict(loaded, *copy);
  model->eval();
  copy->eval();
  const auto input = torch::randn({3, 3, 32, 32});
  CHECK(torch::equal(model->forward(input), copy->forward(input)));

  // Weights of another configuration are refused, naming an entry.
  Network other = build_model("krizhevsky4", {});
  CHECK_THROWS_WITH(copy_state_dict(loaded, *other), Catch::Contains("config.json"));
  write_file_atomic(dir / "not-weights.pt", "hello");
  CHECK_THROWS_AS(load_state_dict(dir / "not-weights.pt"), Error);
}

TEST_CASE("subsets and device images keep each image's position in its split", "[unit][weights]") {
  // Image i is filled with i % 256 and labelled i % 10, so positions can be checked by content.
  const auto index = torch::arange(600, torch::kInt64);
  ImageSet split{index.remainder(256).to(torch::kUInt8).view({-1, 1, 1, 1}).expand({-1, 3, 32, 32}),
                 index % 10};
  const ImageSet subset = balanced_subset(split, 200, /*seed=*/5);
  const ImageSet nested = balanced_subset(subset, 50, /*seed=*/6);  // a subset of a subset
  for (const ImageSet* set : {&subset, &nested}) {
    REQUIRE(set->source_index.defined());
    CHECK(torch::equal(split.images.index_select(0, set->source_index), set->images));
    CHECK(torch::equal(split.labels.index_select(0, set->source_index), set->labels));
  }
  CHECK(nested.source_index.max().item<int64_t>() >= 200);  // positions in the split, not subset
  const DeviceImages whole(split, torch::kCPU, torch::full({3}, 0.5), torch::full({3}, 0.25));
  CHECK(torch::equal(whole.source_index(), index));
  const DeviceImages part(nested, torch::kCPU, torch::full({3}, 0.5), torch::full({3}, 0.25));
  CHECK(torch::equal(part.source_index(), nested.source_index));
  CHECK(torch::allclose(part.pixel_mean(), torch::full({3}, 127.5)));
  CHECK(torch::allclose(part.pixel_std(), torch::full({3}, 63.75)));
}

TEST_CASE("actlab train leaves model.pt for the run's own model, and probe_images.json",
          "[cli][data][weights]") {
  REQUIRE(actlab::testing::have_cifar10());
  TempDir dir;
  const std::string common = fmt::format(
      "train --model vgg --depth 11 --width 4 --batch-norm --activation prelu --epochs 0 "
      "--train-subset 200 --test-subset 100 --probe-images 40 --data '{}'",
      actlab::testing::cifar10_dir().string());
  const auto result = run_actlab(fmt::format("{} --out '{}'", common, (dir / "run").string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto config = nlohmann::json::parse(read_file(dir / "run" / "config.json"));
  ModelOptions options;
  options.activation = config["activation"];
  options.batch_norm = config["batch_norm"];
  options.depth = config["depth"];
  options.width = config["width"];
  Network model = build_model(config["model"], options);
  CHECK_NOTHROW(copy_state_dict(load_state_dict(dir / "run" / "model.pt"), *model));
  const auto probe_images = nlohmann::json::parse(read_file(dir / "run" / "probe_images.json"));
  CHECK(probe_images["indices"].size() == 40);

  // Without probes there is no probe set; an overwritten run keeps no file of the old one.
  const auto again = run_actlab(
      fmt::format("{} --probe off --overwrite --out '{}'", common, (dir / "run").string()));
  REQUIRE(again.exit_code == 0);
  CHECK(fs::exists(dir / "run" / "model.pt"));
  CHECK_FALSE(fs::exists(dir / "run" / "probe_images.json"));
}
