#pragma once

#include <torch/nn/module.h>

#include <string>

namespace actlab {

// Initialises every Conv2d/Linear weight by `init` (auto | kaiming | xavier | lecun | torch |
// normal:std=S; "auto" means `activation_default`, the activation's family default), sets the
// biases that feed an activation (or batch norm's shift) to `bias_init`, and the classifier's
// bias (module named "classifier") to 0. Throws Error for an unknown init.
void initialize_weights(torch::nn::Module& model, const std::string& init,
                        const std::string& activation_default, double bias_init);

// The init names accepted, for help texts and errors.
const char* init_help();

}  // namespace actlab
