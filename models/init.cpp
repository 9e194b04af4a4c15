#include "models/init.h"

#include <torch/torch.h>

#include <cmath>

#include "src/core/error.h"
#include "src/core/spec.h"

namespace actlab {

const char* init_help() {
  return "auto (kaiming for the ReLU family, xavier for sigmoid/tanh), kaiming (He normal, fan_in, "
         "gain sqrt 2), xavier (Glorot uniform), lecun (normal, std 1/sqrt fan_in), torch "
         "(LibTorch's default), normal:std=S (Krizhevsky 2012 style)";
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

}  // namespace

void initialize_weights(torch::nn::Module& model, const std::string& init,
                        const std::string& activation_default, double bias_init) {
  const Spec spec = parse_spec(init == "auto" ? activation_default : init, "init");
  std::vector<ParameterInfo> accepted;
  if (spec.name == "normal") {
    accepted = {{"std", 0.01, "standard deviation"}};
  } else if (spec.name != "kaiming" && spec.name != "xavier" && spec.name != "lecun" &&
             spec.name != "torch") {
    throw Error(fmt::format("unknown init '{}': valid inits are {}", spec.name, init_help()));
  }
  const ParameterValues values = resolve_parameters(spec, accepted, "init");

  torch::NoGradGuard no_grad;
  for (const auto& item : model.named_modules()) {
    const bool is_classifier = item.key() == "classifier";
    torch::nn::Module& module = *item.value();
    if (auto* conv = module.as<torch::nn::Conv2d>()) {
      init_weight(conv->weight, spec, values);
      if (conv->bias.defined()) conv->bias.fill_(bias_init);
    } else if (auto* linear = module.as<torch::nn::Linear>()) {
      init_weight(linear->weight, spec, values);
      if (linear->bias.defined()) linear->bias.fill_(is_classifier ? 0.0 : bias_init);
    } else if (auto* bn = module.as<torch::nn::BatchNorm2d>()) {
      bn->weight.fill_(1.0);
      bn->bias.fill_(bias_init);
    }
  }
}

}  // namespace actlab
