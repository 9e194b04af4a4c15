#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/activations/activation.h"
#include "src/core/registry.h"

namespace actlab {

// What every model takes. Fields a model does not use must stay at their "unset" value (0);
// build_model rejects them, so a --depth given to a fixed-depth net is an error, not ignored.
struct ModelOptions {
  std::string activation = "relu";  // activation spec, e.g. "leaky_relu:slope=0.1"
  bool batch_norm = false;          // conv -> batch norm -> activation
  // auto | kaiming | xavier | lecun | torch | normal:std=S (each takes gain=G, models/init.h);
  // empty = the model's default: ModelDefinition::default_init_stds when it has them, else auto.
  std::string init;
  std::vector<double> init_stds;  // Gaussian std per weighted layer, forward order; empty = init
  double bias_init = 0.0;         // bias before each activation (batch norm's shift when on)
  int bias_init_from = 0;         // bias_init only from this weighted layer on (0 = all)
  int depth = 0;                  // layers (plain) or the variant (vgg 11/13/16, resnet 6n+2)
  int width = 0;                  // channels of the first stage; 0 = the model's default
  bool skip = true;               // resnet: identity shortcuts on/off
  bool preact = false;            // resnet: pre-activation blocks (He et al. 2016b)
  // resnet: zero the last layer of every residual branch, so each block starts as its shortcut.
  // Unset = auto: on exactly for resnet with shortcuts and without batch norm, which otherwise
  // diverges at its default learning rate; resolve_model_options sets it.
  std::optional<bool> zero_init_residual;
  int num_classes = 10;
};

// An activation layer as probes see it: a stable dotted name ("stage2.block1.act2") + module.
struct ActivationLayer {
  std::string name;
  Activation module;
};

// Base of every model: images [N, 3, 32, 32] in, class scores [N, classes] out.
class NetworkImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  // Activation layers in the order the forward pass applies them.
  std::vector<ActivationLayer> activation_layers() const;
  // Number of learnable scalars.
  int64_t parameter_count() const;
  // The tensors that scale each residual branch's output (last conv, or last batch norm's weight
  // and shift): zeroed, every block starts as its shortcut. Empty for nets without residuals.
  virtual std::vector<torch::Tensor> residual_branch_ends() const { return {}; }
};
using Network = std::shared_ptr<NetworkImpl>;

struct ModelDefinition {
  std::string name;
  std::string summary;       // one line
  std::string layers;        // the exact layer list, printed by `actlab list models`
  int default_depth = 0;     // 0: the model has a fixed depth
  int default_width = 0;     // 0: the model has fixed widths
  bool uses_skip = false;    // accepts skip on/off and zero_init_residual (has residual branches)
  bool uses_preact = false;  // accepts preact
  // The init when --init is not given: a Gaussian std per weighted layer in forward order (the
  // cuda-convnet cfg's initW); empty = init auto.
  std::vector<double> default_init_stds;
  std::function<std::string(int depth)> check_depth;  // "" when valid, else the fix
  std::function<Network(const ModelOptions&)> build;  // options already resolved
};

const Registry<ModelDefinition>& model_registry();

// Fills model defaults, validates, builds and initialises the weights. Throws Error on bad options.
Network build_model(const std::string& model, ModelOptions options);

// The options with the model's defaults filled in (what config.json records).
ModelOptions resolve_model_options(const std::string& model, ModelOptions options);

}  // namespace actlab
