// Every activation as a test case of the probes (dead, saturated, negative units, f' < 0, NaN
// networks, revival) and the probe hook's records during training.
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

namespace {

// Pre-activations x of every activation layer over `images`, one forward (no batch norm in the
// callers' models, so the probe's chunking does not change them).
std::vector<torch::Tensor> preactivations(Network& model, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  auto layers = bind_layers(*model);
  std::vector<torch::Tensor> xs(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].activation->set_observer(
        [&xs, i](const torch::Tensor& x, const torch::Tensor&) { xs[i] = x.detach(); });
  }
  model->forward(images);
  for (auto& layer : layers) layer.activation->set_observer(nullptr);
  return xs;
}

bool all_quantities_null(const nlohmann::json& record) {
  for (const auto& definition : quantity_registry().all()) {
    for (const auto& name : definition.fields) {
      if (record.contains(name) && !record[name].is_null()) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("every activation at bias -3: dead, saturated and negative units match brute force",
          "[unit][probes]") {
  // From the registry, so a new activation is a new case without editing this test.
  const std::string activation = GENERATE(from_range(activation_registry().names()));
  CAPTURE(activation);
  torch::manual_seed(11);
  Network model = build_model("plain", plain_options(activation, 3, false, -3.0, 6));
  const auto images = torch::randn({12, 3, 32, 32});
  const auto records = probe(model, images, ProbeLevel::kCheap);
  const auto xs = preactivations(model, images);
  const auto layers = bind_layers(*model);
  REQUIRE(records.size() == layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    CAPTURE(i);
    // f' as the probe computes it (float32), then counted and summed in double, element by element.
    const auto x = xs[i].contiguous();
    const auto d = layers[i].activation->derivative(x).to(torch::kFloat64).contiguous();
    const double max_abs_d =
        layers[i]
            .activation->derivative(torch::linspace(-10, 10, 20001, torch::kFloat64))
            .abs()
            .max()
            .item<double>();
    const int64_t n = x.size(0), channels = x.size(1), positions = x.size(2) * x.size(3);
    const auto* xp = x.data_ptr<float>();
    const auto* dp = d.data_ptr<double>();
    double saturated = 0, d_sum = 0, abs_d_sum = 0;
    const int64_t total = n * channels * positions;
    for (int64_t k = 0; k < total; ++k) {
      saturated += std::abs(dp[k]) < 0.05 * max_abs_d;
      d_sum += dp[k];
      abs_d_sum += std::abs(dp[k]);
    }
    int dead_channels = 0, dead_units = 0, negative_channels = 0;
    for (int64_t c = 0; c < channels; ++c) {
      bool channel_alive = false, channel_negative = true;
      for (int64_t p = 0; p < positions; ++p) {
        bool unit_alive = false;
        for (int64_t image = 0; image < n; ++image) {
          const int64_t k = (image * channels + c) * positions + p;
          unit_alive |= std::abs(dp[k]) >= 1e-8;
          channel_negative &= xp[k] < 0;
        }
        dead_units += !unit_alive;
        channel_alive |= unit_alive;
      }
      dead_channels += !channel_alive;
      negative_channels += channel_negative;
    }
    const auto& r = records[i];
    CHECK(r.at("finite") == true);
    CHECK(field(r, "dead_fraction") == Approx(double(dead_channels) / channels));
    CHECK(field(r, "dead_fraction_units") == Approx(double(dead_units) / (channels * positions)));
    CHECK(field(r, "saturation_fraction") == Approx(saturated / total));
    CHECK(field(r, "mean_derivative") == Approx(d_sum / total).margin(1e-9));
    CHECK(field(r, "mean_abs_derivative") == Approx(abs_d_sum / total).margin(1e-9));
    CHECK(field(r, "mean_abs_derivative") >= std::abs(field(r, "mean_derivative")) - 1e-9);
    CHECK(r.at("units") == channels);
    CHECK(field(r, "negative_fraction") == Approx(double(negative_channels) / channels));
    CHECK(r.at("ever_negative_units") == negative_channels);  // first probe: nothing earlier
    CHECK(r.at("earlier_negative_units") == 0);
    CHECK(r.at("revived_units") == 0);
    CHECK(r.at("revived_fraction").is_null());
  }
}

TEST_CASE("largest |f'| per activation: hardswish 1.5, sigmoid 1/4, gelu 1.129", "[unit][probes]") {
  CHECK(Activation("hardswish")->max_abs_derivative() == Approx(1.5));
  CHECK(Activation("sigmoid")->max_abs_derivative() == Approx(0.25));
  CHECK(Activation("gelu")->max_abs_derivative() == Approx(1.1289).epsilon(1e-3));
  CHECK(Activation("relu")->max_abs_derivative() == 1.0);
}

TEST_CASE("gelu at bias -3: units all-negative but not dead, f' < 0 still passes gradient",
          "[unit][probes]") {
  torch::manual_seed(5);
  Network gelu = build_model("plain", plain_options("gelu", 4, false, -3.0, 8));
  const auto images = torch::randn({20, 3, 32, 32});
  const auto records = probe(gelu, images, ProbeLevel::kCheap);
  const auto xs = preactivations(gelu, images);
  const auto layers = bind_layers(*gelu);
  double most_negative = 0, signed_dead = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK(field(records[i], "dead_fraction") == 0.0);
    CHECK(field(records[i], "dead_fraction_units") == 0.0);
    most_negative = std::max(most_negative, field(records[i], "negative_fraction"));
    // The old criterion, f' >= 1e-8 somewhere, would have called these channels dead.
    const auto d = layers[i].activation->derivative(xs[i]);
    const auto alive_signed = d.ge(1e-8).any(0).flatten(1).any(1);
    signed_dead =
        std::max(signed_dead, 1.0 - alive_signed.to(torch::kFloat64).mean().item<double>());
  }
  // The case is not vacuous: the bias does push whole channels below 0, where gelu' < 0.
  CHECK(most_negative > 0.5);
  CHECK(signed_dead > 0.5);
  CHECK(field(records.back(), "mean_derivative") < 0);
}

TEST_CASE("a network with NaN weights is recorded as non-finite, never as dead or alive",
          "[unit][probes]") {
  const std::string activation = GENERATE(from_range(activation_registry().names()));
  const bool nan_in_classifier_only = GENERATE(false, true);
  CAPTURE(activation, nan_in_classifier_only);
  torch::manual_seed(4);
  Network model = build_model("plain", plain_options(activation, 3, false, 0.0, 6));
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : model->named_parameters()) {
      const bool classifier = item.key().rfind("classifier", 0) == 0;
      if (classifier || !nan_in_classifier_only) {
        item.value().fill_(std::numeric_limits<double>::quiet_NaN());
        if (nan_in_classifier_only) break;  // one NaN weight tensor is enough
      }
    }
  }
  const auto records = probe(model, torch::randn({10, 3, 32, 32}), ProbeLevel::kFull);
  REQUIRE(records.size() == 3);
  for (const auto& record : records) {
    CAPTURE(record.dump());
    CHECK(record.at("finite") == false);
    CHECK(record.at("dead_fraction").is_null());
    CHECK(record.at("negative_fraction").is_null());
    CHECK(all_quantities_null(record));
  }
}

TEST_CASE("revival: units all-negative at an earlier probe and not now, counted by hand",
          "[unit][probes]") {
  torch::manual_seed(6);
  Network model = build_model("plain", plain_options("relu", 3, false, 100.0, 6));
  const auto images = torch::randn({10, 3, 32, 32});
  const auto layers = bind_layers(*model);
  torch::Tensor bias = model->named_parameters()[layers[0].feeding_name + ".bias"];
  // A bias of -100 makes a first-layer channel all-negative, +100 all-positive (|conv| << 100).
  auto set_negative = [&](std::vector<int64_t> negative) {
    torch::NoGradGuard no_grad;
    bias.fill_(100.0);
    for (int64_t c : negative) bias[c].fill_(-100.0);
  };
  const auto labels = torch::arange(10) % 10;
  ProbeSettings settings;
  settings.chunk_size = 4;
  ProbeMemory memory;
  auto first_layer = [&](ProbeMemory* kept) {
    return probe_layers(*model, images, labels, settings, kept).front();
  };

  set_negative({0, 1});
  auto r = first_layer(&memory);
  CHECK(r.at("units") == 6);
  CHECK(field(r, "negative_fraction") == Approx(2.0 / 6));
  CHECK(r.at("earlier_negative_units") == 0);
  CHECK(r.at("ever_negative_units") == 2);
  CHECK(r.at("revived_units") == 0);
  CHECK(r.at("revived_fraction").is_null());
  CHECK(r.at("first_alive_units") == 4);
  CHECK(r.at("died_units") == 0);

  set_negative({1, 2});  // 0 comes back, 2 goes under
  r = first_layer(&memory);
  CHECK(field(r, "negative_fraction") == Approx(2.0 / 6));
  CHECK(r.at("earlier_negative_units") == 2);
  CHECK(r.at("ever_negative_units") == 3);
  CHECK(r.at("revived_units") == 1);
  CHECK(field(r, "revived_fraction") == Approx(0.5));
  CHECK(r.at("first_alive_units") == 4);
  CHECK(r.at("died_units") == 1);  // 2: alive at the first probe, under now; 1 was born under
  CHECK(field(r, "died_fraction") == Approx(1.0 / 6));

  // A non-finite probe in between records nothing and leaves the memory as it was.
  const auto saved = model->parameters()[0].clone();
  {
    torch::NoGradGuard no_grad;
    model->parameters()[0].fill_(std::numeric_limits<double>::quiet_NaN());
  }
  CHECK(first_layer(&memory).at("finite") == false);
  {
    torch::NoGradGuard no_grad;
    model->parameters()[0].copy_(saved);
  }

  set_negative({});  // every earlier-negative unit is back
  r = first_layer(&memory);
  CHECK(field(r, "negative_fraction") == 0.0);
  CHECK(r.at("earlier_negative_units") == 3);
  CHECK(r.at("ever_negative_units") == 3);
  CHECK(r.at("revived_units") == 3);
  CHECK(field(r, "revived_fraction") == 1.0);

  CHECK(r.at("died_units") == 0);

  set_negative({0});  // dies again: no longer counted as revived
  r = first_layer(&memory);
  CHECK(r.at("revived_units") == 2);
  CHECK(field(r, "revived_fraction") == Approx(2.0 / 3));
  CHECK(r.at("died_units") == 0);  // 0 was under at the first probe: not a death in training

  set_negative({3, 4});
  r = first_layer(&memory);
  CHECK(r.at("died_units") == 2);
  CHECK(field(r, "died_fraction") == Approx(2.0 / 6));

  // Without a memory a probe stands alone.
  r = first_layer(nullptr);
  CHECK(r.at("earlier_negative_units") == 0);
  CHECK(r.at("revived_fraction").is_null());
  CHECK(r.at("died_units") == 0);
}

namespace {

std::vector<nlohmann::json> read_records(const std::filesystem::path& path) {
  std::vector<nlohmann::json> records;
  std::istringstream lines(read_file(path));
  std::string line;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  return records;
}

}  // namespace

TEST_CASE("K-step probes and epoch-end probes are told apart by trigger and epochs_trained",
          "[data][integration][probes]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config = actlab::testing::tiny_training();
  config.probe_every_steps = 1;  // step 3 is both a K-step probe and the end of epoch 1
  config = resolve(config);
  TempDir dir;
  ProbeHook probes(dir.path(), stdout);
  REQUIRE(train(config, {&probes}).status == actlab::RunStatus::completed);
  const auto records = read_records(dir / "layers.jsonl");
  // Evaluations at steps 0, 3, 6 and K-step probes at steps 1..6, 3 layers each.
  REQUIRE(records.size() == (3 + 6) * 3);
  std::set<std::tuple<std::string, int64_t, std::string>> keys;
  for (const auto& record : records) {
    const auto step = record.at("step").get<int64_t>();
    const auto trigger = record.at("trigger").get<std::string>();
    CAPTURE(step, trigger);
    CHECK(field(record, "epochs_trained") == Approx(step / 3.0));
    CHECK((trigger == "evaluation" || trigger == "every_steps"));
    if (trigger == "evaluation") {
      CHECK(step % 3 == 0);
      CHECK(record.at("epoch") == step / 3);
    } else {
      CHECK(record.at("epoch") == (step + 2) / 3);  // the epoch being trained
      CHECK(record.at("train_weight_grad_norm").is_null());
    }
    CHECK(keys.emplace(record.at("layer").get<std::string>(), step, trigger).second);
  }
  // The coinciding pair: same epoch and step, different trigger.
  CHECK(keys.count({"stage1.layer1.act", 3, "every_steps"}) == 1);
  CHECK(keys.count({"stage1.layer1.act", 3, "evaluation"}) == 1);
}

TEST_CASE("a NaN network in training is recorded as non-finite by the probe hook",
          "[data][integration][probes]") {
  REQUIRE(actlab::testing::have_cifar10());
  TrainConfig config = actlab::testing::tiny_training();
  config.epochs = 1;
  config = resolve(config);
  // Runs before the probe hook: the epoch-0 evaluation probe sees a NaN network.
  struct PoisonWeights : TrainingHook {
    void on_start(const TrainingContext& context) override {
      torch::NoGradGuard no_grad;
      for (auto& p : context.model->parameters()) p.fill_(std::numeric_limits<double>::quiet_NaN());
    }
  } poison;
  TempDir dir;
  std::FILE* progress = std::tmpfile();
  ProbeHook probes(dir.path(), progress);
  const auto summary = train(config, {&poison, &probes});
  CHECK(summary.status == actlab::RunStatus::diverged);
  const auto records = read_records(dir / "layers.jsonl");
  REQUIRE(records.size() == 3);
  for (const auto& record : records) {
    CHECK(record.at("finite") == false);
    CHECK(all_quantities_null(record));
  }
  std::rewind(progress);
  char line[256] = {};
  REQUIRE(std::fgets(line, sizeof line, progress) != nullptr);
  CHECK_THAT(std::string(line), Catch::Contains("3 of 3 layers non-finite"));
  std::fclose(progress);
}
