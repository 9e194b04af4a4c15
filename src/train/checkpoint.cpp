#include "src/train/checkpoint.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <ATen/Context.h>
#include <functional>
#include <mutex>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/train/checkpoint_frame.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Bumped when the archive's layout changes; older checkpoints are then refused.
constexpr int kCheckpointFormat = 2;

torch::Tensor bytes_tensor(const std::string& text) {
  auto tensor = torch::empty({static_cast<int64_t>(text.size())}, torch::kUInt8);
  std::memcpy(tensor.data_ptr<uint8_t>(), text.data(), text.size());
  return tensor;
}

std::string tensor_bytes(const torch::Tensor& tensor) {
  const auto cpu = tensor.to(torch::kCPU).contiguous();
  return {reinterpret_cast<const char*>(cpu.data_ptr<uint8_t>()), static_cast<size_t>(cpu.numel())};
}

// The generators whose streams the run draws from: the CPU's and, with CUDA, each device's.
std::vector<at::Generator> process_generators() {
  std::vector<at::Generator> generators = {at::detail::getDefaultCPUGenerator()};
  if (torch::cuda::is_available()) {
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      generators.push_back(at::globalContext().defaultGenerator(
          c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i))));
    }
  }
  return generators;
}

nlohmann::json info_json(const TrainConfig& config, const RunState& state) {
  return {{"format", kCheckpointFormat},         {"epoch", state.epoch},
          {"in_epoch", state.in_epoch},          {"step", state.step},
          {"actlab_version", actlab_version()},  {"git_commit", git_commit()},
          {"libtorch_version", torch_version()}, {"config", to_json(config)}};
}

CheckpointInfo parse_info(const nlohmann::json& j) {
  CheckpointInfo info;
  info.epoch = j.at("epoch").get<int>();
  info.in_epoch = j.at("in_epoch").get<bool>();
  info.step = j.at("step").get<int64_t>();
  info.actlab_version = j.at("actlab_version").get<std::string>();
  info.git_commit = j.at("git_commit").get<std::string>();
  info.libtorch_version = j.at("libtorch_version").get<std::string>();
  info.config = j.at("config");
  return info;
}

using TensorReader = std::function<torch::Tensor(const nlohmann::json& name)>;

}  // namespace

fs::path checkpoint_file(const fs::path& run_dir) {
  return run_dir / "checkpoint.pt";
}

std::optional<CheckpointInfo> read_checkpoint_info(const fs::path& run_dir) {
  if (!fs::exists(checkpoint_file(run_dir)) || !fs::exists(run_dir / "checkpoint.json"))
    return std::nullopt;
  try {
    return parse_info(nlohmann::json::parse(read_file(run_dir / "checkpoint.json")));
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format("'{}' is damaged ({}): remove it to start the run over",
                            (run_dir / "checkpoint.json").string(), error.what()));
  }
}

std::string checkpoint_mismatch(const CheckpointInfo& info, const TrainConfig& config) {
  if (info.git_commit != git_commit() || info.actlab_version != actlab_version()) {
    return fmt::format(
        "the checkpoint was written by actlab {} (commit {}) and this is actlab {} (commit {}): "
        "a resumed run would not equal an uninterrupted one",
        info.actlab_version, info.git_commit, actlab_version(), git_commit());
  }
  const auto now = to_json(config);
  std::vector<std::string> differences;
  for (const auto& [field, value] : now.items()) {
    if (may_differ_on_resume(field)) continue;
    const auto saved = info.config.find(field);
    if (saved == info.config.end()) {
      differences.push_back(fmt::format("{} (not in the checkpoint)", field));
    } else if (*saved != value) {
      differences.push_back(
          fmt::format("{} {} here, {} in the checkpoint", field, value.dump(), saved->dump()));
    }
  }
  if (differences.empty()) return {};
  std::string text = "the checkpoint is of another configuration: ";
  for (size_t i = 0; i < differences.size(); ++i) text += (i ? "; " : "") + differences[i];
  return text;
}

CheckpointContents checkpoint_contents(const TrainConfig& config, const RunState& state,
                                       const std::vector<TrainingHook*>& hooks) {
  CheckpointContents contents;
  state.model->save(contents.model);
  state.optimizer->save(contents.optimizer);
  auto& meta = contents.meta = info_json(config, state);
  meta["images_seen"] = state.images_seen;
  meta["seconds"] = state.seconds_before;
  meta["summary"] = to_json(state.summary);
  int64_t tensor_count = 0;
  auto keep = [&](const torch::Tensor& tensor) {
    const std::string name = fmt::format("t{}", tensor_count++);
    contents.tensors.write(name, tensor.detach().to(torch::kCPU));
    return name;
  };
  nlohmann::json generators = nlohmann::json::array();
  for (auto& generator : process_generators()) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generators.push_back(keep(generator.get_state()));
  }
  meta["generators"] = generators;
  if (state.in_epoch) {
    const EpochProgress& p = state.progress;
    meta["progress"] = {{"order", keep(p.order)},
                        {"loss_sum", keep(p.loss_sum)},
                        {"wrong", keep(p.wrong)},
                        {"batches", p.batches},
                        {"images", p.images},
                        {"clipped", p.clipped},
                        {"evaluation_seconds", p.evaluation_seconds},
                        {"elapsed_seconds", p.elapsed_seconds}};
  }
  nlohmann::json hook_states = nlohmann::json::object();
  for (auto* hook : hooks) {
    const std::string key = hook->state_key();
    if (key.empty()) continue;
    HookState hook_state;
    hook->save_state(hook_state);
    nlohmann::json names = nlohmann::json::object();
    for (const auto& [name, tensor] : hook_state.tensors) {
      if (tensor.defined()) names[name] = keep(tensor);
    }
    hook_states[key] = {{"values", hook_state.values}, {"tensors", names}};
  }
  meta["hooks"] = hook_states;
  return contents;
}

std::string checkpoint_bytes(CheckpointContents& contents) {
  torch::serialize::OutputArchive archive;
  archive.write("model", contents.model);
  archive.write("optimizer", contents.optimizer);
  archive.write("tensors", contents.tensors);
  archive.write("meta", bytes_tensor(contents.meta.dump()));
  // Into memory: LibTorch's file writer, failing mid-archive (a full disk), throws again from its
  // destructor and aborts the process.
  std::string bytes;
  try {
    archive.save_to([&bytes](const void* data, size_t size) {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
  } catch (const c10::Error& error) {
    throw Error(fmt::format("cannot serialise a checkpoint: {}",
                            first_line(error.what_without_backtrace())));
  }
  return frame_checkpoint(bytes);
}

void save_checkpoint(const fs::path& run_dir, const TrainConfig& config, const RunState& state,
                     const std::vector<TrainingHook*>& hooks) {
  auto contents = checkpoint_contents(config, state, hooks);
  write_file_atomic(checkpoint_file(run_dir), checkpoint_bytes(contents));  // keeps the previous
  // checkpoint.json follows checkpoint.pt: if a kill falls between the two, the .json describes
  // the previous checkpoint, and load_checkpoint trusts only the archive's own copy.
  write_file_atomic(run_dir / "checkpoint.json", info_json(config, state).dump(2) + "\n");
}

std::unique_ptr<OpenedCheckpoint> open_checkpoint(const fs::path& run_dir,
                                                  const TrainConfig& config, torch::Device device) {
  const auto path = checkpoint_file(run_dir);
  if (!fs::exists(path)) {
    throw Error(
        fmt::format("no checkpoint in '{}': start the run without --resume", run_dir.string()));
  }
  auto opened = std::make_unique<OpenedCheckpoint>();
  opened->path = path;
  const std::string file = read_file(path);
  if (file.compare(0, 4, "PK\x03\x04") == 0) {  // a bare LibTorch archive: format 1
    throw Error(
        fmt::format("'{}' is a LibTorch archive without actlab's frame: written by an older "
                    "actlab (checkpoint format 1) or not a checkpoint; start over with --overwrite",
                    path.string()));
  }
  const std::string_view payload = checkpoint_payload(file);
  try {
    if (payload.empty()) throw Error("damaged");
    opened->archive.load_from(payload.data(), payload.size(), device);
    torch::Tensor meta_bytes;
    opened->archive.read("meta", meta_bytes);
    opened->meta = nlohmann::json::parse(tensor_bytes(meta_bytes));
  } catch (const std::exception& error) {
    throw Error(fmt::format(
        "cannot read checkpoint '{}': it is truncated, damaged or not an actlab checkpoint; "
        "remove it to start the run over",
        path.string()));
  }
  std::string mismatch;
  try {
    const int format = opened->meta.value("format", 0);
    if (format != kCheckpointFormat) {
      throw Error(
          fmt::format("'{}' has checkpoint format {}, this actlab reads {}: start over "
                      "with --overwrite",
                      path.string(), format, kCheckpointFormat));
    }
    mismatch = checkpoint_mismatch(parse_info(opened->meta), config);
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format(
        "checkpoint '{}' lacks a field this actlab needs ({}): remove it to start the run over",
        path.string(), error.what()));
  }
  if (!mismatch.empty()) {
    throw Error(fmt::format("cannot resume '{}': {}; start over with --overwrite", run_dir.string(),
                            mismatch));
  }
  return opened;
}

namespace {

// Runs `part` of a resume; what LibTorch or the JSON reader throws becomes one line naming the
// file.
template <typename Part>
void resume_part(const fs::path& path, Part&& part) {
  try {
    part();
  } catch (const c10::Error& error) {  // a tensor missing or of another shape: a foreign file
    throw Error(
        fmt::format("checkpoint '{}' does not fit this run ({}): remove it to start the run over",
                    path.string(), first_line(error.what_without_backtrace())));
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format(
        "checkpoint '{}' lacks a field this actlab needs ({}): remove it to start the run over",
        path.string(), error.what()));
  }
}

void restore_progress(const nlohmann::json& meta, const TensorReader& tensor,
                      const TrainingContext& context, RunState& state) {
  state.epoch = meta.at("epoch").get<int>();
  state.in_epoch = meta.at("in_epoch").get<bool>();
  state.step = meta.at("step").get<int64_t>();
  state.images_seen = meta.at("images_seen").get<int64_t>();
  state.seconds_before = meta.at("seconds").get<double>();
  state.summary = summary_from_json(meta.at("summary"));
  state.summary.status = RunStatus::running;  // an interrupted run saved "interrupted"
  state.summary.message.clear();
  state.progress = EpochProgress{};
  if (!state.in_epoch) return;
  const auto& p = meta.at("progress");
  state.progress.order = tensor(p.at("order")).to(context.device);
  state.progress.loss_sum = tensor(p.at("loss_sum")).to(context.device);
  state.progress.wrong = tensor(p.at("wrong")).to(context.device);
  state.progress.batches = p.at("batches").get<int64_t>();
  state.progress.images = p.at("images").get<int64_t>();
  state.progress.clipped = p.at("clipped").get<int64_t>();
  state.progress.evaluation_seconds = p.at("evaluation_seconds").get<double>();
  state.progress.elapsed_seconds = p.at("elapsed_seconds").get<double>();
}

// Each hook's saved state, read and checked against the hook.
void read_hook_states(OpenedCheckpoint& checkpoint, const TensorReader& tensor,
                      const TrainingContext& context, const std::vector<TrainingHook*>& hooks) {
  const auto& saved_hooks = checkpoint.meta.at("hooks");
  for (auto* hook : hooks) {
    const std::string key = hook->state_key();
    if (key.empty()) continue;
    if (!saved_hooks.contains(key)) {
      throw Error(fmt::format("checkpoint '{}' has no state for '{}': start over with --overwrite",
                              checkpoint.path.string(), key));
    }
    HookState hook_state;
    hook_state.values = saved_hooks[key].at("values");
    for (const auto& [name, stored] : saved_hooks[key].at("tensors").items()) {
      hook_state.tensors[name] = tensor(stored).to(context.device);
    }
    const std::string why = hook->check_state(context, hook_state);
    if (!why.empty()) {
      throw Error(fmt::format(
          "checkpoint '{}' does not fit this run's records ({}): remove it to start the run over",
          checkpoint.path.string(), why));
    }
    checkpoint.hook_states[key] = std::move(hook_state);
  }
}

void read_generator_states(OpenedCheckpoint& checkpoint, const TensorReader& tensor) {
  const auto& names = checkpoint.meta.at("generators");
  auto generators = process_generators();
  const size_t count = generators.size();
  if (!names.is_array() || names.size() != count) {
    throw Error(
        fmt::format("checkpoint '{}' was saved with {} random generators (devices), "
                    "this process has {}: resume on the same kind of machine",
                    checkpoint.path.string(), names.is_array() ? names.size() : 0, count));
  }
  for (size_t i = 0; i < count; ++i) {
    const torch::Tensor saved = tensor(names[i]);
    std::lock_guard<std::mutex> lock(generators[i].mutex());
    const torch::Tensor now = generators[i].get_state();
    if (saved.dtype() != now.dtype() || !saved.sizes().equals(now.sizes())) {
      throw Error(
          fmt::format("checkpoint '{}' holds no state of random generator {}: remove it "
                      "to start the run over",
                      checkpoint.path.string(), i));
    }
    checkpoint.generator_states.push_back(saved);
  }
}

}  // namespace

void restore_run_state(OpenedCheckpoint& checkpoint, const TrainingContext& context,
                       RunState& state, const std::vector<TrainingHook*>& hooks) {
  resume_part(checkpoint.path, [&] {
    torch::serialize::InputArchive model_archive, optimizer_archive, tensors;
    checkpoint.archive.read("model", model_archive);
    checkpoint.archive.read("optimizer", optimizer_archive);
    checkpoint.archive.read("tensors", tensors);
    state.model->load(model_archive);
    // LibTorch 1.13 keeps the constructor's learning rate here; the loop sets each step's rate
    // from the schedule before stepping, so nothing depends on the saved one.
    state.optimizer->load(optimizer_archive);
    const TensorReader tensor = [&](const nlohmann::json& name) {
      torch::Tensor value;
      tensors.read(name.get<std::string>(), value);
      return value;
    };
    restore_progress(checkpoint.meta, tensor, context, state);
    read_hook_states(checkpoint, tensor, context, hooks);
    read_generator_states(checkpoint, tensor);
  });
}

void restore_hook_state(const OpenedCheckpoint& checkpoint, const TrainingContext& context,
                        TrainingHook& hook) {
  const std::string key = hook.state_key();
  if (key.empty()) return;
  resume_part(checkpoint.path,
              [&] { hook.restore_state(context, checkpoint.hook_states.at(key)); });
}

void restore_generators(const OpenedCheckpoint& checkpoint) {
  resume_part(checkpoint.path, [&] {
    auto generators = process_generators();
    for (size_t i = 0; i < generators.size(); ++i) {
      std::lock_guard<std::mutex> lock(generators[i].mutex());
      generators[i].set_state(checkpoint.generator_states.at(i).to(torch::kCPU));
    }
  });
}

void load_checkpoint(const fs::path& run_dir, const TrainConfig& config,
                     const TrainingContext& context, RunState& state,
                     const std::vector<TrainingHook*>& hooks) {
  auto checkpoint = open_checkpoint(run_dir, config, context.device);
  restore_run_state(*checkpoint, context, state, hooks);
  for (auto* hook : hooks) restore_hook_state(*checkpoint, context, *hook);
  restore_generators(*checkpoint);
}

void remove_checkpoint(const fs::path& run_dir) {
  std::error_code ignored;
  fs::remove(checkpoint_file(run_dir), ignored);
  fs::remove(run_dir / "checkpoint.json", ignored);
}

}  // namespace actlab
