#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace actlab {

// Initialises every Conv2d/Linear weight by `init` (auto | kaiming | xavier | lecun | torch |
// normal:std=S; "auto" means `activation_default`, the activation's family default), sets the
// biases that feed an activation (or batch norm's shift) to `bias_init`, and the classifier's
// bias (module named "classifier") to 0. Throws Error for an unknown init.
//
// Every init takes gain=G (default 1): the weights of each layer that feeds an activation (all but
// the classifier) are multiplied by G after drawing, so "scaled_sigmoid:k=4" with
// "xavier:gain=0.25" computes exactly plain sigmoid's function at init, and "xavier:gain=4" gives
// plain sigmoid the pre-activations of scaled_sigmoid:k=4.
//
// `layer_stds`, when not empty, replaces `init` for the weights: the i-th weighted layer in forward
// order (registration order) gets N(0, layer_stds[i]^2), as cuda-convnet's per-layer initW; its
// size must equal the number of weighted layers, and `init` must then be "auto".
//
// `bias_init_from` > 0 applies `bias_init` only to the weighted layers from that index on
// (forward order), the others' biases starting at 0: late units killed, early ones left alone.
// It needs biases (no batch norm).
void initialize_weights(torch::nn::Module& model, const std::string& init,
                        const std::string& activation_default, double bias_init,
                        const std::vector<double>& layer_stds = {}, int bias_init_from = 0);

// The init names accepted, for help texts and errors.
const char* init_help();

}  // namespace actlab
