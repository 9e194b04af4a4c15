#pragma once

#include <torch/nn/module.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace actlab {

// A module's state dict: every parameter and buffer (batch-norm running statistics included)
// under its dotted name, in PyTorch's order (per module: parameters, then buffers).
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

StateDict state_dict(const torch::nn::Module& module);

// `state` in PyTorch's zip serialization, the bytes Python's torch.save(dict_of_tensors) writes:
// a plain dict of CPU tensors, so torch.load reads it, with weights_only=True too (no TorchScript
// type tags, which torch::pickle_save would add and weights_only refuses).
std::string state_dict_bytes(const StateDict& state);

// Writes module's state dict to `path` atomically (temporary file + rename).
void save_state_dict(const torch::nn::Module& module, const std::filesystem::path& path);

// Reads a file of save_state_dict (or Python's torch.save of a dict of tensors) into CPU
// tensors, in the file's order. Throws Error naming the file when it is not such a file.
StateDict load_state_dict(const std::filesystem::path& path);

// Copies `state` into `module`'s parameters and buffers. Throws Error naming the first missing,
// unexpected or wrongly shaped entry (a file from another configuration).
void copy_state_dict(const StateDict& state, torch::nn::Module& module);

}  // namespace actlab
