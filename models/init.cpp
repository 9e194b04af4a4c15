#include "models/init.h"

#include <torch/torch.h>

#include <cmath>

#include "src/core/error.h"
#include "src/core/spec.h"

namespace actlab {

const char* init_help() {
  return "auto (kaiming for the ReLU family, xavier for sigmoid/tanh), kaiming (He normal, fan_in, "
         "gain sqrt 2), xavier (Glorot uniform), lecun (normal, std 1/sqrt fan_in), torch "
         "(LibTorch's default), normal:std=S (Krizhevsky 2012 style); each takes gain=G, a factor "
         "on the weights of every layer but the classifier (e.g. xavier:gain=0.25)";
}

namespace {

void init_weight(torch::Tensor& weight, const Spec& spec, const ParameterValues& values) {
  namespace init = torch::nn::init;
  if (spec.name == "kaiming") {
    init::kaiming_normal_(weight, 0.0, torch::kFanIn, torch::kReLU);
  } else if (spec.name == "xavier") {
    init::xavier_uniform_(weight);
  } else if (spec.name == "lecun") {
    const auto fan_in = weight.numel() / weight.size(0);
    init::normal_(weight, 0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)));
  } else if (spec.name == "normal") {
    init::normal_(weight, 0.0, values.at("std"));
  }
  // "torch": keep the weights LibTorch's constructors drew.
}

// The weighted layers (conv/linear) in registration order, which every model keeps in forward
// order, with their names.
std::vector<std::pair<std::string, torch::nn::Module*>> weighted_layers(torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::nn::Module*>> layers;
  for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    if (item.value()->as<torch::nn::Conv2d>() || item.value()->as<torch::nn::Linear>()) {
      layers.emplace_back(item.key(), item.value().get());
    }
  }
  return layers;
}

void check_layer_stds(const std::vector<double>& layer_stds, const Spec& spec,
                      const std::vector<std::pair<std::string, torch::nn::Module*>>& layers) {
  if (spec.name != "auto" || !spec.values.empty()) {
    throw Error("--init-stds sets every weight's distribution: drop --init (or leave it auto)");
  }
  if (layer_stds.size() != layers.size()) {
    std::vector<std::string> names;
    for (const auto& layer : layers) names.push_back(layer.first);
    throw Error(fmt::format(
        "--init-stds has {} values but the model has {} weighted layers ({}): give one std each",
        layer_stds.size(), layers.size(), join(names)));
  }
  for (double std : layer_stds) {
    if (!(std >= 0) || !std::isfinite(std)) {
      throw Error(fmt::format("--init-stds values must be finite and >= 0, got {}", std));
    }
  }
}

}  // namespace

void initialize_weights(torch::nn::Module& model, const std::string& init,
                        const std::string& activation_default, double bias_init,
                        const std::vector<double>& layer_stds, int bias_init_from) {
  Spec spec = parse_spec(init, "init");
  const auto layers = weighted_layers(model);
  if (bias_init_from < 0 || bias_init_from >= static_cast<int>(layers.size())) {
    throw Error(
        fmt::format("--bias-init-from {} is not a layer index: the model has {} weighted "
                    "layers (0 to {})",
                    bias_init_from, layers.size(), layers.size() - 1));
  }
  if (!layer_stds.empty()) check_layer_stds(layer_stds, spec, layers);
  if (spec.name == "auto") spec.name = activation_default;
  std::vector<ParameterInfo> accepted = {
      {"gain", 1.0, "factor on the weights of every layer but the classifier"}};
  if (spec.name == "normal") {
    accepted.push_back({"std", 0.01, "standard deviation"});
  } else if (spec.name != "kaiming" && spec.name != "xavier" && spec.name != "lecun" &&
             spec.name != "torch") {
    throw Error(fmt::format("unknown init '{}': valid inits are {}", spec.name, init_help()));
  }
  const ParameterValues values = resolve_parameters(spec, accepted, "init");
  const double gain = values.at("gain");
  if (!std::isfinite(gain)) throw Error(fmt::format("init gain must be finite, got {}", gain));

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool is_classifier = layers[i].first == "classifier";
    torch::nn::Module& module = *layers[i].second;
    torch::Tensor weight, bias;
    if (auto* conv = module.as<torch::nn::Conv2d>()) {
      weight = conv->weight;
      bias = conv->bias;
    } else if (auto* linear = module.as<torch::nn::Linear>()) {
      weight = linear->weight;
      bias = linear->bias;
    }
    if (layer_stds.empty()) {
      init_weight(weight, spec, values);
      if (!is_classifier) weight.mul_(gain);
    } else {
      torch::nn::init::normal_(weight, 0.0, layer_stds[i]);
    }
    if (bias.defined())
      bias.fill_(is_classifier || static_cast<int>(i) < bias_init_from ? 0.0 : bias_init);
  }
  for (const auto& item : model.named_modules()) {
    if (auto* bn = item.value()->as<torch::nn::BatchNorm2d>()) {
      if (bias_init_from > 0) {
        throw Error("--bias-init-from needs biases before the activations: drop --batch-norm");
      }
      bn->weight.fill_(1.0);
      bn->bias.fill_(bias_init);
    }
  }
}

}  // namespace actlab
