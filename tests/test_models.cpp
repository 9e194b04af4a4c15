#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "models/network.h"
#include "models/residual_blocks.h"
#include "src/core/error.h"

using namespace actlab;

namespace {

ModelOptions options_with(std::string activation, bool batch_norm, int depth = 0) {
  ModelOptions options;
  options.activation = std::move(activation);
  options.batch_norm = batch_norm;
  options.depth = depth;
  return options;
}

}  // namespace

TEST_CASE("the six models are registered", "[unit][models]") {
  CHECK(model_registry().names() == std::vector<std::string>{"krizhevsky4", "krizhevsky18pct",
                                                             "krizhevsky80sec", "plain", "vgg",
                                                             "resnet"});
}

TEST_CASE("every model maps a CIFAR batch to 10 class scores", "[unit][models]") {
  const std::string model = GENERATE(from_range(model_registry().names()));
  const bool batch_norm = GENERATE(false, true);
  CAPTURE(model, batch_norm);
  ModelOptions options = options_with("tanh", batch_norm);
  if (model == "vgg") options.width = 8;  // keep the test small
  Network network = build_model(model, options);
  const auto scores = network->forward(torch::randn({3, 3, 32, 32}));
  CHECK(scores.sizes() == torch::IntArrayRef({3, 10}));
  CHECK(torch::isfinite(scores).all().item<bool>());
}

TEST_CASE("krizhevsky4 has the cuda-convnet layer sizes", "[unit][models]") {
  Network network = build_model("krizhevsky4", options_with("relu", false));
  // conv 5x5: 3->32, 32->32, 32->64 (with biases) + fc 1024->10.
  const int64_t expected =
      (5 * 5 * 3 * 32 + 32) + (5 * 5 * 32 * 32 + 32) + (5 * 5 * 32 * 64 + 64) + (1024 * 10 + 10);
  CHECK(network->parameter_count() == expected);
  std::vector<std::string> names;
  for (const auto& layer : network->activation_layers()) names.push_back(layer.name);
  CHECK(names == std::vector<std::string>{"conv1.act", "conv2.act", "conv3.act"});
}

TEST_CASE("ResNet-20 has about 0.27 M parameters", "[unit][models]") {
  Network network = build_model("resnet", options_with("relu", true, 20));
  CHECK(network->parameter_count() == Approx(270000).epsilon(0.01));
  CHECK(network->activation_layers().size() == 1 + 3 * 3 * 2);
}

TEST_CASE("resnet skip on/off changes only the shortcuts", "[unit][models]") {
  ModelOptions with_skip = options_with("relu", true, 20);
  ModelOptions without_skip = with_skip;
  without_skip.skip = false;
  torch::manual_seed(3);
  Network a = build_model("resnet", with_skip);
  torch::manual_seed(3);
  Network b = build_model("resnet", without_skip);
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (const auto& item : pa) {
    REQUIRE(pb.contains(item.key()));
    CHECK(torch::equal(item.value(), pb[item.key()]));
  }
  a->eval();
  b->eval();
  const auto x = torch::randn({2, 3, 32, 32});
  CHECK_FALSE(torch::allclose(a->forward(x), b->forward(x)));
}

TEST_CASE("activation layers have stable dotted names in forward order", "[unit][models]") {
  Network resnet = build_model("resnet", options_with("relu", false, 20));
  const auto layers = resnet->activation_layers();
  CHECK(layers.front().name == "stem.act");
  CHECK(layers[1].name == "stage1.block1.act1");
  CHECK(layers[2].name == "stage1.block1.act2");
  CHECK(layers.back().name == "stage3.block3.act2");
  const bool has_example = std::any_of(
      layers.begin(), layers.end(), [](const auto& l) { return l.name == "stage2.block1.act2"; });
  CHECK(has_example);

  Network plain = build_model("plain", options_with("sigmoid", false, 7));
  std::vector<std::string> names;
  for (const auto& layer : plain->activation_layers()) names.push_back(layer.name);
  CHECK(names == std::vector<std::string>{"stage1.layer1.act", "stage1.layer2.act",
                                          "stage1.layer3.act", "stage2.layer1.act",
                                          "stage2.layer2.act", "stage3.layer1.act",
                                          "stage3.layer2.act"});
}

TEST_CASE("vgg depths give 8, 10 and 13 conv layers", "[unit][models]") {
  for (auto [depth, convs] : {std::pair{11, 8}, std::pair{13, 10}, std::pair{16, 13}}) {
    ModelOptions options = options_with("relu", false, depth);
    options.width = 4;
    CHECK(build_model("vgg", options)->activation_layers().size() == static_cast<size_t>(convs));
  }
}

TEST_CASE("weight init follows the activation family and bias init is applied", "[unit][models]") {
  ModelOptions options = options_with("relu", false, 4);
  options.width = 64;
  options.bias_init = -3;
  Network relu_net = build_model("plain", options);
  const auto named = relu_net->named_parameters();
  // He normal: std = sqrt(2 / fan_in), fan_in = 64 * 9.
  const auto weight = named["stage1.layer2.conv.weight"];
  CHECK(weight.std().item<double>() == Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.05));
  CHECK(torch::all(named["stage1.layer2.conv.bias"] == -3).item<bool>());
  CHECK(torch::all(named["classifier.bias"] == 0).item<bool>());

  options.activation = "sigmoid";
  Network sigmoid_net = build_model("plain", options);
  // Glorot uniform: std = sqrt(2 / (fan_in + fan_out)), both 64 * 9.
  CHECK(sigmoid_net->named_parameters()["stage1.layer2.conv.weight"].std().item<double>() ==
        Approx(std::sqrt(2.0 / (2 * 64 * 9))).epsilon(0.05));

  options.init = "normal:std=0.01";
  options.batch_norm = true;
  Network gaussian = build_model("plain", options);
  CHECK(gaussian->named_parameters()["stage1.layer2.conv.weight"].std().item<double>() ==
        Approx(0.01).epsilon(0.05));
  // With batch norm the bias before the activation is batch norm's shift.
  CHECK(torch::all(gaussian->named_parameters()["stage1.layer2.bn.bias"] == -3).item<bool>());
}

TEST_CASE("bias init from a layer on kills only the late layers' units (--bias-init-from)",
          "[unit][models]") {
  ModelOptions options = options_with("relu", false, 8);
  options.width = 16;
  options.bias_init = -3;
  options.bias_init_from = 4;
  Network net = build_model("plain", options);
  // Weighted layers in forward order: 8 convs, then the classifier (always 0).
  int index = 0;
  for (const auto& item : net->named_parameters()) {
    if (item.key().find("conv.bias") == std::string::npos) continue;
    CAPTURE(item.key());
    CHECK(torch::all(item.value() == (index < 4 ? 0.0 : -3.0)).item<bool>());
    ++index;
  }
  CHECK(index == 8);
  CHECK(torch::all(net->named_parameters()["classifier.bias"] == 0).item<bool>());
  options.bias_init_from = 9;
  CHECK_THROWS_WITH(build_model("plain", options), Catch::Contains("is not a layer index"));
  options.bias_init_from = 4;
  options.batch_norm = true;
  CHECK_THROWS_WITH(build_model("plain", options), Catch::Contains("drop --batch-norm"));
}

TEST_CASE("bad model options are errors that name the fix", "[unit][models]") {
  CHECK_THROWS_WITH(build_model("alexnet", {}),
                    Catch::Contains("unknown model") && Catch::Contains("resnet"));
  CHECK_THROWS_WITH(build_model("resnet", options_with("relu", false, 21)),
                    Catch::Contains("6n+2"));
  CHECK_THROWS_WITH(build_model("vgg", options_with("relu", false, 12)),
                    Catch::Contains("11, 13 or 16"));
  CHECK_THROWS_WITH(build_model("krizhevsky4", options_with("relu", false, 8)),
                    Catch::Contains("fixed depth"));
  ModelOptions bad_init = options_with("relu", false);
  bad_init.init = "orthogonal";
  CHECK_THROWS_WITH(build_model("krizhevsky4", bad_init),
                    Catch::Contains("unknown init 'orthogonal'"));
  CHECK_THROWS_AS(build_model("plain", options_with("sigmoidd", false)), Error);
}

namespace {

ResidualBlock block_named(const Network& network, const std::string& name) {
  for (const auto& item : network->named_modules()) {
    if (item.key() == name) return std::dynamic_pointer_cast<ResidualBlockImpl>(item.value());
  }
  return nullptr;
}

double initial_loss(const Network& network) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  const auto images = torch::randn({64, 3, 32, 32});
  const auto labels = torch::arange(64) % 10;
  return torch::cross_entropy_loss(network->forward(images), labels).item<double>();
}

}  // namespace

TEST_CASE("pre-activation resnet: shapes, layer names, gradient reaches the first conv",
          "[unit][models]") {
  const bool batch_norm = GENERATE(false, true);
  const bool zero_init = GENERATE(false, true);
  CAPTURE(batch_norm, zero_init);
  ModelOptions options = options_with("relu", batch_norm, 20);
  options.preact = true;
  options.zero_init_residual = zero_init;
  Network network = build_model("resnet", options);
  const auto scores = network->forward(torch::randn({4, 3, 32, 32}));
  CHECK(scores.sizes() == torch::IntArrayRef({4, 10}));
  const auto layers = network->activation_layers();
  REQUIRE(layers.size() == 3 * 3 * 2 + 1);
  CHECK(layers.front().name == "stage1.block1.act1");
  CHECK(layers.back().name == "final.act");
  const auto named = network->named_parameters();
  CHECK(named.contains("stage1.block1.bn1.weight") == batch_norm);
  CHECK(named.contains("final.bn.weight") == batch_norm);
  CHECK_FALSE(named.contains("stem.bn.weight"));
  torch::cross_entropy_loss(scores, torch::arange(4)).backward();
  const auto stem_grad = named["stem.conv.weight"].grad();
  REQUIRE(stem_grad.defined());
  CHECK(stem_grad.norm().item<double>() > 0);
}

TEST_CASE("pre-activation blocks put nothing after the addition", "[unit][models]") {
  ModelOptions options = options_with("sigmoid", false, 20);
  options.preact = true;
  options.zero_init_residual = true;
  Network network = build_model("resnet", options);
  // Zeroed branch: the block is exactly its shortcut, even for sigmoid (no activation after +).
  const auto x = torch::randn({2, 16, 32, 32});
  CHECK(torch::equal(block_named(network, "stage1.block2")->forward(x), x));
  CHECK(
      torch::equal(block_named(network, "stage2.block1")->forward(x), option_a_shortcut(x, 2, 16)));
}

TEST_CASE("zero-init residual: every block starts as its shortcut", "[unit][models]") {
  const bool batch_norm = GENERATE(false, true);
  CAPTURE(batch_norm);
  ModelOptions options = options_with("relu", batch_norm, 20);
  options.zero_init_residual = true;
  Network network = build_model("resnet", options);
  network->eval();
  torch::NoGradGuard no_grad;
  // Block inputs come out of a ReLU: non-negative, so act2(shortcut) = shortcut.
  const auto x = torch::relu(torch::randn({2, 16, 32, 32}));
  const auto y = torch::relu(torch::randn({2, 32, 16, 16}));
  CHECK(torch::equal(block_named(network, "stage1.block1")->forward(x), x));
  CHECK(
      torch::equal(block_named(network, "stage2.block1")->forward(x), option_a_shortcut(x, 2, 16)));
  CHECK(torch::equal(block_named(network, "stage2.block2")->forward(y), y));
  options.zero_init_residual = false;
  Network plain_init = build_model("resnet", options);
  plain_init->eval();
  CHECK_FALSE(torch::allclose(block_named(plain_init, "stage1.block1")->forward(x), x));
}

TEST_CASE("ResNet-20 without batch norm starts near ln 10 by default, far above without zero init",
          "[unit][models]") {
  torch::manual_seed(0);
  ModelOptions options = options_with("relu", false, 20);
  const ModelOptions resolved = resolve_model_options("resnet", options);
  REQUIRE(resolved.zero_init_residual.has_value());
  CHECK(*resolved.zero_init_residual);
  CHECK_FALSE(*resolve_model_options("resnet", options_with("relu", true, 20)).zero_init_residual);
  CHECK_FALSE(
      *resolve_model_options("krizhevsky4", options_with("relu", false)).zero_init_residual);
  const double loss = initial_loss(build_model("resnet", options));
  CHECK(loss == Approx(std::log(10.0)).margin(0.3));
  options.zero_init_residual = false;
  torch::manual_seed(0);
  CHECK(initial_loss(build_model("resnet", options)) > 5);

  ModelOptions no_skip = options_with("relu", false, 20);
  no_skip.skip = false;
  CHECK_FALSE(*resolve_model_options("resnet", no_skip).zero_init_residual);
  no_skip.zero_init_residual = true;
  CHECK_THROWS_WITH(build_model("resnet", no_skip), Catch::Contains("--no-skip"));
  ModelOptions plain = options_with("relu", false, 5);
  plain.zero_init_residual = true;
  CHECK_THROWS_WITH(build_model("plain", plain), Catch::Contains("drop --zero-init-residual"));
  plain.zero_init_residual.reset();
  plain.preact = true;
  CHECK_THROWS_WITH(build_model("plain", plain), Catch::Contains("drop --preact"));
}

TEST_CASE("init stds set each weighted layer's std (--init-stds, cuda-convnet layers-18pct)",
          "[unit][models]") {
  torch::manual_seed(0);
  ModelOptions options = options_with("relu", false);
  options.init_stds = {1e-4, 1e-2, 2e-2, 5e-2};
  Network network = build_model("krizhevsky4", options);
  const auto named = network->named_parameters();
  CHECK(named["conv1.conv.weight"].std().item<double>() == Approx(1e-4).epsilon(0.05));
  CHECK(named["conv2.conv.weight"].std().item<double>() == Approx(1e-2).epsilon(0.05));
  CHECK(named["conv3.conv.weight"].std().item<double>() == Approx(2e-2).epsilon(0.05));
  CHECK(named["classifier.weight"].std().item<double>() == Approx(5e-2).epsilon(0.05));
  CHECK(named["conv1.conv.weight"].mean().item<double>() == Approx(0).margin(1e-5));

  options.init_stds = {1e-4, 1e-2, 1e-2};
  CHECK_THROWS_WITH(build_model("krizhevsky4", options),
                    Catch::Contains("3 values") && Catch::Contains("4 weighted layers") &&
                        Catch::Contains("conv1.conv, conv2.conv, conv3.conv, classifier"));
  options.init_stds = {1e-4, 1e-2, 1e-2, 1e-2};
  options.init = "xavier";
  CHECK_THROWS_WITH(build_model("krizhevsky4", options), Catch::Contains("drop --init"));
  options.init = "auto";
  options.init_stds = {1e-4, -1, 1e-2, 1e-2};
  CHECK_THROWS_WITH(build_model("krizhevsky4", options), Catch::Contains(">= 0"));
}

TEST_CASE("init gain: sigmoid(4x) with weights / 4 is sigmoid at init, the classifier keeps its",
          "[unit][models]") {
  const auto images = torch::randn({8, 3, 32, 32});
  ModelOptions sigmoid = options_with("sigmoid", false);
  torch::manual_seed(5);
  Network reference = build_model("krizhevsky4", sigmoid);
  ModelOptions scaled = options_with("scaled_sigmoid:k=4", false);
  scaled.init = "auto:gain=0.25";  // auto = xavier for the sigmoid family
  torch::manual_seed(5);
  Network quartered = build_model("krizhevsky4", scaled);
  CHECK(torch::allclose(reference->forward(images), quartered->forward(images), 1e-5, 1e-6));
  const auto a = reference->named_parameters();
  const auto b = quartered->named_parameters();
  CHECK(torch::allclose(b["conv2.conv.weight"], a["conv2.conv.weight"] * 0.25));
  CHECK(torch::equal(b["classifier.weight"], a["classifier.weight"]));

  sigmoid.init = "xavier:gain=4";
  torch::manual_seed(5);
  Network quadrupled = build_model("krizhevsky4", sigmoid);
  CHECK(torch::allclose(quadrupled->named_parameters()["conv1.conv.weight"],
                        a["conv1.conv.weight"] * 4));
  CHECK_FALSE(torch::allclose(quadrupled->forward(images), reference->forward(images)));
  sigmoid.init = "xavier:gian=4";
  CHECK_THROWS_WITH(build_model("krizhevsky4", sigmoid), Catch::Contains("gain"));
}
