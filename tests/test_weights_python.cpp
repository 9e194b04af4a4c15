// The Python definition of the models (python/actlab_models.py) against actlab's own outputs.
// The [python] tests run tests/python/compare_with_actlab.py as its own process with a python3
// that has torch ($ACTLAB_PYTHON, else Debian's /usr/bin/python3 with python3-torch, else python3
// on PATH); without one they print SKIPPED, which CTest reports as a skip (CatchTagLabels.cmake).
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

namespace {

// Float tolerances of the Python comparison (float32 on the CPU; measured differences are 0 with
// the same LibTorch kernels, Debian's python3-torch 1.13, and ~1e-6 with PyPI's torch 2.x).
constexpr double kLogitTolerance = 1e-4;       // absolute, per logit, times max(1, max |logit|)
constexpr double kQuantityTolerance = 1e-4;    // relative, mean f' and grad_act_rms
constexpr double kFractionTolerance = 1e-3;    // absolute, dead fraction and sparsity
constexpr double kActivationTolerance = 1e-6;  // absolute, f and f' on [-8, 8]

std::string torch_python() {
  std::vector<std::string> candidates;
  if (const char* chosen = std::getenv("ACTLAB_PYTHON")) candidates.push_back(chosen);
  candidates.push_back("/usr/bin/python3");  // Debian's python3-torch installs here
  candidates.push_back("python3");
  for (const auto& python : candidates) {
    if (run_process({python, "-c", "import torch"}).exit_code == 0) return python;
  }
  std::cout << "SKIPPED: no python3 with torch among " << join(candidates)
            << " (apt-get install python3-torch, or set ACTLAB_PYTHON)\n";
  return "";
}

// compare_with_actlab.py's JSON; nullopt when it skipped.
std::optional<nlohmann::json> compare_in_python(const std::string& python, const std::string& mode,
                                                const fs::path& dir) {
  const auto script = fs::path(ACTLAB_SOURCE_DIR) / "tests" / "python" / "compare_with_actlab.py";
  const auto result = run_process({python, script.string(), mode, dir.string()});
  if (result.exit_code == 3) {
    std::cout << result.out;
    return std::nullopt;
  }
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  const auto json_start = result.out.find('{');  // after any warning torch printed
  REQUIRE(json_start != std::string::npos);
  return nlohmann::json::parse(result.out.substr(json_start));
}

void write_tensors(const fs::path& path, const StateDict& tensors) {
  write_file_atomic(path, state_dict_bytes(tensors));
}

struct ModelCase {
  std::string name, model, activation;
  bool batch_norm = false;
  int depth = 0, width = 0;
  bool skip = true, preact = false;
  std::string init = "";     // "" = the model's default
  double input_scale = 1.0;  // 0-255-scale inputs (cuda_convnet) make response norm matter
};

// Every registered model and option that changes the layers, and every registered activation
// (some with parameters off their defaults) inside a small plain net with batch norm.
std::vector<ModelCase> model_cases() {
  std::vector<ModelCase> cases = {
      {"krizhevsky4-relu", "krizhevsky4", "relu"},
      {"krizhevsky4-bn-sigmoid", "krizhevsky4", "sigmoid", true},
      {"krizhevsky18pct-relu", "krizhevsky18pct", "relu", false, 0, 0, true, false,
       "normal:std=0.1", 60.0},
      {"krizhevsky18pct-bn-tanh", "krizhevsky18pct", "tanh", true},
      {"krizhevsky80sec-tanh", "krizhevsky80sec", "tanh", false, 0, 0, true, false, "", 60.0},
      {"plain5-tanh", "plain", "tanh", false, 5, 8},
      {"vgg11-bn-relu", "vgg", "relu", true, 11, 4},
      {"vgg13-elu", "vgg", "elu", false, 13, 4},
      {"vgg16-bn-silu", "vgg", "silu", true, 16, 4},
      {"resnet8-relu", "resnet", "relu", false, 8, 8},
      {"resnet8-bn-gelu", "resnet", "gelu", true, 8, 8},
      {"resnet14-bn-noskip-hardswish", "resnet", "hardswish", true, 14, 4, false},
      {"resnet8-preact-mish", "resnet", "mish", false, 8, 8, true, true},
      {"resnet8-preact-bn-prelu", "resnet", "prelu:init=0.1", true, 8, 8, true, true},
      {"resnet8-preact-bn-noskip-selu", "resnet", "selu", true, 8, 4, false, true},
  };
  std::vector<std::string> specs = activation_registry().names();
  for (const char* spec : {"leaky_relu:slope=0.2", "prelu:init=-0.3", "elu:alpha=0.5",
                           "softplus:beta=3", "scaled_sigmoid:k=2.5", "hardtanh:max=2,min=-0.5"})
    specs.push_back(spec);
  for (const auto& spec : specs) {
    std::string name = "plain3-bn-" + spec;
    for (char& c : name) c = (c == ':' || c == ',' || c == '=') ? '_' : c;
    cases.push_back({name, "plain", spec, true, 3, 4});
  }
  return cases;
}

// x on [-8, 8] (step 0.005) with the kinks of every activation: 0, +-1, +-3, 6, ...
torch::Tensor activation_grid() {
  return torch::cat({torch::linspace(-8, 8, 3201),
                     torch::tensor({0.f, 1.f, -1.f, 3.f, -3.f, 6.f, 2.f, -0.5f, 1e-9f, -1e-9f})});
}

// Writes the eval-mode logits of the probe images at the end of the run (RUN/probe_logits.pt),
// with the images and labels as actlab fed them, for the Python side to match.
struct ProbeLogitsWriter : TrainingHook {
  fs::path dir;
  explicit ProbeLogitsWriter(fs::path d) : dir(std::move(d)) {}
  void on_finish(const TrainingContext& context, const RunSummary&) override {
    const auto record = nlohmann::json::parse(read_file(dir / "probe_images.json"));
    std::map<int64_t, int64_t> position;  // split index -> position in the training subset
    const auto source = context.train_images.source_index();
    for (int64_t i = 0; i < source.size(0); ++i) position[source[i].item<int64_t>()] = i;
    std::vector<int64_t> positions;
    for (const auto& index : record["indices"]) positions.push_back(position.at(index));
    const auto indices = torch::tensor(positions, torch::kInt64).to(context.device);
    const auto images = context.train_images.batch(indices, /*augment=*/false);
    torch::NoGradGuard no_grad;
    context.model->eval();
    const auto logits = context.model->forward(images);
    write_tensors(dir / "probe_logits.pt",
                  {{"images", images},
                   {"labels", context.train_images.labels().index_select(0, indices)},
                   {"logits", logits}});
  }
};

}  // namespace

TEST_CASE("python/actlab_models.py computes actlab's outputs for every model and activation",
          "[python][weights]") {
  const std::string python = torch_python();
  if (python.empty()) return;
  TempDir dir;
  int seed = 0;
  for (const auto& c : model_cases()) {
    TrainConfig config;
    config.model = c.model;
    config.model_options.activation = c.activation;
    config.model_options.batch_norm = c.batch_norm;
    config.model_options.depth = c.depth;
    config.model_options.width = c.width;
    config.model_options.skip = c.skip;
    config.model_options.preact = c.preact;
    config.model_options.init = c.init;
    // Without batch norm a zeroed branch end would hide the residual branches from the check.
    if (c.model == "resnet") config.model_options.zero_init_residual = false;
    config = resolve(config);
    torch::manual_seed(++seed);
    Network model = build_model(config.model, config.model_options);
    torch::NoGradGuard no_grad;
    model->train();
    for (int pass = 0; pass < 3; ++pass) model->forward(torch::randn({8, 3, 32, 32}));
    const auto case_dir = dir / c.name;
    fs::create_directories(case_dir);
    write_file_atomic(case_dir / "config.json", to_json(config).dump(2));
    save_state_dict(*model, case_dir / "model.pt");
    const auto input = torch::randn({4, 3, 32, 32}) * c.input_scale;
    model->eval();
    const auto eval_logits = model->forward(input);
    model->train();
    const auto train_logits = model->forward(input);
    write_tensors(case_dir / "io.pt",
                  {{"input", input}, {"eval_logits", eval_logits}, {"train_logits", train_logits}});
  }
  const auto x = activation_grid();
  StateDict grid = {{"x", x}};
  for (const auto& c : model_cases()) {
    if (c.model != "plain") continue;
    Activation activation(c.activation);
    torch::NoGradGuard no_grad;
    const std::string spec = activation->spec();
    grid.push_back({spec + "/f", activation->forward(x)});
    grid.push_back({spec + "/df", activation->derivative(x)});
    grid.push_back({spec + "/max_abs_df", torch::tensor(activation->max_abs_derivative())});
    for (const auto& p : activation->named_parameters())
      grid.push_back({spec + "/weight", p.value()});
  }
  write_tensors(dir / "activations.pt", grid);

  const auto result = compare_in_python(python, "models", dir.path());
  if (!result) return;
  std::cout << "python/actlab_models.py against actlab, torch " << (*result)["torch"] << "\n";
  double worst_logits = 0, worst_activation = 0;
  for (const auto& c : model_cases()) {
    CAPTURE(c.name);
    REQUIRE((*result)["cases"].contains(c.name));
    const auto& measured = (*result)["cases"][c.name];
    const double scale = std::max(1.0, measured["logit_scale"].get<double>());
    CHECK(measured["eval_logits"].get<double>() <= kLogitTolerance * scale);
    CHECK(measured["train_logits"].get<double>() <= kLogitTolerance * scale);
    worst_logits = std::max({worst_logits, measured["eval_logits"].get<double>() / scale,
                             measured["train_logits"].get<double>() / scale});
  }
  REQUIRE((*result)["activations"].size() == activation_registry().names().size() + 6);
  for (const auto& [spec, measured] : (*result)["activations"].items()) {
    CAPTURE(spec);
    CHECK(measured["f"].get<double>() <= kActivationTolerance);
    CHECK(measured["derivative"].get<double>() <= kActivationTolerance);
    CHECK(measured["max_abs_derivative"].get<double>() <= kActivationTolerance);
    worst_activation = std::max(
        {worst_activation, measured["f"].get<double>(), measured["derivative"].get<double>()});
  }
  std::cout << "  largest logit difference / max(1, max |logit|): " << worst_logits
            << "; largest f or f' difference: " << worst_activation << "\n";
}

TEST_CASE("a tiny trained run: Python rebuilds the probe batch and matches its logits and probes",
          "[python][weights][data][integration]") {
  REQUIRE(actlab::testing::have_cifar10());
  const std::string python = torch_python();
  if (python.empty()) return;
  struct RunCase {
    std::string model, activation;
    bool batch_norm;
    int depth;
    std::string preprocessing = "standardise";
    double lr = 0.05;
  };
  // gelu: f' < 0 below about -0.75, so mean f' sees the sign; batch norm: the probe pass's
  // per-chunk batch statistics and the eval logits' running statistics both come into play.
  const auto run_case =
      GENERATE(values<RunCase>({{"krizhevsky4", "relu", false, 0},
                                {"resnet", "gelu", true, 8},
                                {"krizhevsky18pct", "relu", false, 0, "cuda_convnet", 0.001}}));
  CAPTURE(run_case.model, run_case.activation);
  TrainConfig config;
  config.data_dir = actlab::testing::cifar10_dir().string();
  config.model = run_case.model;
  config.model_options.activation = run_case.activation;
  config.model_options.batch_norm = run_case.batch_norm;
  config.model_options.depth = run_case.depth;
  config.input_preprocessing = run_case.preprocessing;
  config.train_subset = 500;
  config.test_subset = 200;
  config.train_eval_images = 200;
  config.batch_size = 50;
  config.epochs = 1;
  config.lr = run_case.lr;
  config.probe_images = 300;  // two chunks of the probe pass: 250 + 50
  config.threads = 2;
  TempDir dir;
  config.out_dir = dir.path().string();
  config = resolve(config);
  WeightsHook weights(dir.path());
  RunRecorder recorder(dir.path(), RunRecorder::Existing::kOverwrite);
  std::FILE* quiet = std::fopen("/dev/null", "w");
  ProbeHook probes(dir.path(), quiet);
  ProbeLogitsWriter logits(dir.path());
  const RunSummary summary = train(config, {&weights, &recorder, &probes, &logits});
  std::fclose(quiet);
  REQUIRE(summary.status == actlab::RunStatus::completed);
  REQUIRE(fs::exists(dir / "model.pt"));

  const auto probe_images = nlohmann::json::parse(read_file(dir / "probe_images.json"));
  CHECK(probe_images["split"] == "train");
  CHECK(probe_images["count"] == 300);
  CHECK(probe_images["indices"].size() == 300);
  CHECK(probe_images["chunk_size"] == 250);
  // Indices name images of the whole split (the 500-image subset is spread over all 50,000).
  int64_t largest = 0;
  for (const auto& index : probe_images["indices"]) largest = std::max<int64_t>(largest, index);
  CHECK(largest >= 500);

  const auto result = compare_in_python(python, "run", dir.path());
  if (!result) return;
  INFO(result->dump(1));
  CHECK((*result)["images_equal"] == true);
  CHECK((*result)["labels_equal"] == true);
  const double scale = std::max(1.0, (*result)["logit_scale"].get<double>());
  CHECK((*result)["logits"].get<double>() <= kLogitTolerance * scale);
  std::cout << run_case.model << " " << run_case.activation << " (torch " << (*result)["torch"]
            << "): logits max difference " << (*result)["logits"].get<double>() << " (max |logit| "
            << (*result)["logit_scale"].get<double>() << ")";
  const auto recorded = nlohmann::json::parse(read_file(dir / "config.json"));
  REQUIRE((*result)["layers"].size() == recorded["resolved"]["activation_layers"].size());
  // Largest difference per quantity: absolute for fractions, relative for the others.
  std::map<std::string, double> worst;
  for (const auto& [layer, quantities] : (*result)["layers"].items()) {
    for (const auto& [quantity, values] : quantities.items()) {
      CAPTURE(layer, quantity, values.dump());
      const double actlab = values["actlab"].get<double>();
      const double difference = values["difference"].get<double>();
      if (quantity == "dead_fraction" || quantity == "sparsity") {
        CHECK(difference <= kFractionTolerance);
        worst[quantity] = std::max(worst[quantity], difference);
      } else {
        const double relative = difference / std::max(std::abs(actlab), 1e-12);
        CHECK(relative <= kQuantityTolerance);
        worst[quantity] = std::max(worst[quantity], relative);
      }
    }
  }
  for (const auto& [quantity, difference] : worst)
    std::cout << "; " << quantity << " " << difference;
  std::cout << "\n";
}
