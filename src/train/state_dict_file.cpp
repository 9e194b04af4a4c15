#include "src/train/state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <map>

#include "src/core/error.h"
#include "src/core/files.h"

namespace actlab {

StateDict state_dict(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_modules(/*name_prefix=*/"", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false))
      state.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false))
      state.emplace_back(prefix + b.key(), b.value());
  }
  return state;
}

std::string state_dict_bytes(const StateDict& state) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : state) dict.insert(name, tensor.detach().to(torch::kCPU));

  // torch::pickle_save would do all of this, but it wraps the dict in
  // torch.jit._pickle.restore_type_tag, a global that torch.load(weights_only=True) (the default
  // since torch 2.6) refuses. Without type tags the pickle is what Python's torch.save writes.
  std::string pickle;
  torch::jit::Pickler pickler([&](const char* data, size_t size) { pickle.append(data, size); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr,
                              /*memoized_class_types=*/nullptr, /*get_tensor_id=*/nullptr,
                              /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(dict);
  pickler.stop();

  std::string archive;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) {
      archive.append(static_cast<const char*>(data), size);
      return size;
    });
    const auto& tensors = pickler.tensorData();
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto data = torch::jit::getWriteableTensorData(tensors[i]);
      writer.writeRecord(fmt::format("data/{}", i), data.data(), data.sizeInBytes());
    }
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    // As torch.save writes it (torch >= 2.1 reads it; older versions ignore it).
    const std::string byteorder = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? "big" : "little";
    writer.writeRecord("byteorder", byteorder.data(), byteorder.size());
    writer.writeEndOfFile();
  }
  return archive;
}

void save_state_dict(const torch::nn::Module& module, const std::filesystem::path& path) {
  write_file_atomic(path, state_dict_bytes(state_dict(module)));
}

StateDict load_state_dict(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error&) {
    throw Error(
        fmt::format("'{}' is not a PyTorch file of tensors (torch.save of a dict): check the path",
                    path.string()));
  }
  if (!value.isGenericDict()) {
    throw Error(
        fmt::format("'{}' holds no dict of tensors: save a state dict (a dict of name -> "
                    "tensor) instead",
                    path.string()));
  }
  StateDict state;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      throw Error(
          fmt::format("'{}' has an entry that is not name -> tensor: save a state dict instead",
                      path.string()));
    }
    state.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return state;
}

namespace {

std::string shape_text(const torch::Tensor& tensor) {
  std::string text;
  // Appended piece by piece: "x" + std::to_string(...) draws a false -Wstringop-overflow from
  // GCC 12 in C++20 mode (LibTorch 2.x's).
  for (const int64_t size : tensor.sizes()) {
    if (!text.empty()) text += 'x';
    text += std::to_string(size);
  }
  return text.empty() ? "scalar" : text;
}

}  // namespace

void copy_state_dict(const StateDict& state, torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> targets;
  for (const auto& [name, tensor] : actlab::state_dict(module)) targets.emplace(name, tensor);
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : state) {
    const auto target = targets.find(name);
    if (target == targets.end()) {
      throw Error(
          fmt::format("the weights have '{}', which this model lacks: build the model "
                      "from the run's own config.json",
                      name));
    }
    if (target->second.sizes() != tensor.sizes()) {
      throw Error(
          fmt::format("'{}' has shape {} in the weights but {} in the model: build the "
                      "model from the run's own config.json",
                      name, shape_text(tensor), shape_text(target->second)));
    }
    target->second.copy_(tensor);
    targets.erase(target);
  }
  if (!targets.empty()) {
    throw Error(fmt::format("the weights lack '{}': build the model from the run's own config.json",
                            targets.begin()->first));
  }
}

}  // namespace actlab
