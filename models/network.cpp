#include "models/network.h"

#include <torch/torch.h>

#include "models/init.h"
#include "models/registry.h"
#include "src/core/error.h"

namespace actlab {

std::vector<ActivationLayer> NetworkImpl::activation_layers() const {
  // named_modules walks registration order, and every model registers in forward order.
  std::vector<ActivationLayer> layers;
  for (const auto& item : named_modules()) {
    if (auto activation = std::dynamic_pointer_cast<ActivationImpl>(item.value())) {
      layers.push_back({item.key(), Activation(activation)});
    }
  }
  return layers;
}

int64_t NetworkImpl::parameter_count() const {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

const Registry<ModelDefinition>& model_registry() {
  static const Registry<ModelDefinition> registry = [] {
    Registry<ModelDefinition> r("model");
    r.add(models::krizhevsky4());
    r.add(models::krizhevsky18pct());
    r.add(models::krizhevsky80sec());
    r.add(models::plain());
    r.add(models::vgg());
    r.add(models::resnet());
    return r;
  }();
  return registry;
}

ModelOptions resolve_model_options(const std::string& model, ModelOptions options) {
  const ModelDefinition& definition = model_registry().get(model);
  options.activation = canonical_activation_spec(options.activation);
  // An unset init is the model's own: the cfg's per-layer Gaussian stds for the cuda-convnet
  // nets, else auto. A given init (auto included) replaces them.
  if (options.init.empty()) {
    options.init = "auto";
    if (options.init_stds.empty()) options.init_stds = definition.default_init_stds;
  }
  if (options.depth == 0) options.depth = definition.default_depth;
  if (options.width == 0) options.width = definition.default_width;
  if (definition.default_depth == 0 && options.depth != 0) {
    throw Error(fmt::format("model '{}' has a fixed depth: drop --depth", model));
  }
  if (definition.default_width == 0 && options.width != 0) {
    throw Error(fmt::format("model '{}' has fixed widths: drop --width", model));
  }
  if (!definition.uses_skip && !options.skip) {
    throw Error(fmt::format("model '{}' has no shortcuts to turn off: drop --no-skip", model));
  }
  if (!definition.uses_preact && options.preact) {
    throw Error(fmt::format("model '{}' has no pre-activation variant: drop --preact", model));
  }
  if (!options.zero_init_residual) {
    options.zero_init_residual = definition.uses_skip && options.skip && !options.batch_norm;
  } else if (*options.zero_init_residual && !(definition.uses_skip && options.skip)) {
    // Without shortcuts a zeroed branch end would cut the signal: every output would be constant.
    throw Error(fmt::format(
        "--zero-init-residual needs residual branches with shortcuts; model '{}'{} has none: drop "
        "--zero-init-residual",
        model, definition.uses_skip ? " with --no-skip" : ""));
  }
  if (definition.check_depth) {
    const std::string problem = definition.check_depth(options.depth);
    if (!problem.empty()) {
      throw Error(
          fmt::format("model '{}' cannot have depth {}: {}", model, options.depth, problem));
    }
  }
  if (definition.default_width != 0 && options.width < 1) {
    throw Error(fmt::format("--width must be positive, got {}", options.width));
  }
  return options;
}

Network build_model(const std::string& model, ModelOptions options) {
  options = resolve_model_options(model, options);
  Network network = model_registry().get(model).build(options);
  const auto& activation = activation_registry().get(parse_spec(options.activation, "").name);
  initialize_weights(*network, options.init, activation.default_init, options.bias_init,
                     options.init_stds, options.bias_init_from);
  if (*options.zero_init_residual) {
    torch::NoGradGuard no_grad;
    for (auto& tensor : network->residual_branch_ends()) tensor.zero_();
  }
  return network;
}

}  // namespace actlab
