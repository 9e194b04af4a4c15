#include "src/train/checkpoint.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <ATen/Context.h>
#include <mutex>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/sha256.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Bumped when the archive's layout changes; older checkpoints are then refused.
constexpr int kCheckpointFormat = 2;

// checkpoint.pt frames LibTorch's archive: magic, payload length (8 bytes, little-endian), the
// payload's SHA-256 (64 hex digits), payload. LibTorch's archive reader compiles TorchScript and
// crashes on some damaged input (found by fuzz/fuzz_checkpoint); a checkpoint is handed to it
// only when every byte is the one actlab wrote.
constexpr std::string_view kCheckpointMagic = "ACTLABCK";
constexpr size_t kCheckpointHeader = 8 + 8 + 64;

std::string framed(const std::string& payload) {
  std::string out(kCheckpointMagic);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  return out + sha256_hex(payload) + payload;
}

// The payload of a framed checkpoint; empty when the frame or the digest does not hold.
std::string_view unframed(std::string_view file) {
  if (file.size() < kCheckpointHeader || file.substr(0, 8) != kCheckpointMagic) return {};
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= uint64_t(static_cast<uint8_t>(file[8 + i])) << (8 * i);
  const std::string_view payload = file.substr(kCheckpointHeader);
  if (payload.size() != length || sha256_hex(payload) != file.substr(16, 64)) return {};
  return payload;
}

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

RunSummary summary_from_json(const nlohmann::json& j) {
  RunSummary s;
  s.status = j.at("status").get<std::string>();
  s.message = j.at("message").get<std::string>();
  if (!j.at("diverged_step").is_null()) s.diverged_step = j.at("diverged_step").get<int64_t>();
  s.epochs_completed = j.at("epochs_completed").get<int>();
  s.steps = j.at("steps").get<int64_t>();
  s.final_test_error = j.at("final_test_error").get<double>();
  s.best_test_error = j.at("best_test_error").get<double>();
  s.best_epoch = j.at("best_epoch").get<int>();
  s.final_train_error = j.at("final_train_error").get<double>();
  s.total_seconds = j.at("total_seconds").get<double>();
  s.clipped_steps = j.at("clipped_steps").get<int64_t>();
  if (j.contains("stop_reason") && j["stop_reason"].is_string())
    s.stop_reason = j["stop_reason"].get<std::string>();
  if (j.contains("stop_target_position") && !j["stop_target_position"].is_null())
    s.stop_target_position = j["stop_target_position"].get<double>();
  s.evaluations_past_stop_target = j.value("evaluations_past_stop_target", 0);
  return s;
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

void restore(torch::serialize::InputArchive& archive, const nlohmann::json& meta,
             const fs::path& path, const TrainingContext& context, RunState& state,
             const std::vector<TrainingHook*>& hooks);

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

bool may_differ_on_resume(const std::string& field) {
  return field == "out_dir" || field == "data_dir" || field == "threads" ||
         field == "checkpoints" || field == "checkpoint_every_steps";
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

void save_checkpoint(const fs::path& run_dir, const TrainConfig& config, const RunState& state,
                     const std::vector<TrainingHook*>& hooks) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive, tensors;
  state.model->save(model_archive);
  state.optimizer->save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);

  auto meta = info_json(config, state);
  meta["images_seen"] = state.images_seen;
  meta["seconds"] = state.seconds_before;
  meta["summary"] = to_json(state.summary);
  int64_t tensor_count = 0;
  auto keep = [&](const torch::Tensor& tensor) {
    const std::string name = fmt::format("t{}", tensor_count++);
    tensors.write(name, tensor.detach().to(torch::kCPU));
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
  archive.write("tensors", tensors);
  archive.write("meta", bytes_tensor(meta.dump()));

  // Into memory first: LibTorch's file writer, failing mid-archive (a full disk), throws again
  // from its destructor and aborts the process. write_file_atomic keeps the previous checkpoint.
  std::string bytes;
  try {
    archive.save_to([&bytes](const void* data, size_t size) {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
  } catch (const c10::Error& error) {
    throw Error(fmt::format("cannot serialise the checkpoint of '{}': {}", run_dir.string(),
                            error.what_without_backtrace()));
  }
  write_file_atomic(checkpoint_file(run_dir), framed(bytes));
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
  const std::string_view payload = unframed(file);
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

void restore_checkpoint(OpenedCheckpoint& checkpoint, const TrainingContext& context,
                        RunState& state, const std::vector<TrainingHook*>& hooks) {
  try {
    restore(checkpoint.archive, checkpoint.meta, checkpoint.path, context, state, hooks);
  } catch (const c10::Error& error) {  // a tensor missing or of another shape: a foreign file
    throw Error(
        fmt::format("checkpoint '{}' does not fit this run ({}): remove it to start the run over",
                    checkpoint.path.string(), first_line(error.what_without_backtrace())));
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format(
        "checkpoint '{}' lacks a field this actlab needs ({}): remove it to start the run over",
        checkpoint.path.string(), error.what()));
  }
}

void load_checkpoint(const fs::path& run_dir, const TrainConfig& config,
                     const TrainingContext& context, RunState& state,
                     const std::vector<TrainingHook*>& hooks) {
  auto checkpoint = open_checkpoint(run_dir, config, context.device);
  restore_checkpoint(*checkpoint, context, state, hooks);
}

namespace {

void restore(torch::serialize::InputArchive& archive, const nlohmann::json& meta,
             const fs::path& path, const TrainingContext& context, RunState& state,
             const std::vector<TrainingHook*>& hooks) {
  torch::serialize::InputArchive model_archive, optimizer_archive, tensors;
  archive.read("model", model_archive);
  archive.read("optimizer", optimizer_archive);
  archive.read("tensors", tensors);
  state.model->load(model_archive);
  // LibTorch 1.13 keeps the constructor's learning rate here; the loop sets each step's rate
  // from the schedule before stepping, so nothing depends on the saved one.
  state.optimizer->load(optimizer_archive);
  auto tensor = [&](const nlohmann::json& name) {
    torch::Tensor value;
    tensors.read(name.get<std::string>(), value);
    return value;
  };

  state.epoch = meta.at("epoch").get<int>();
  state.in_epoch = meta.at("in_epoch").get<bool>();
  state.step = meta.at("step").get<int64_t>();
  state.images_seen = meta.at("images_seen").get<int64_t>();
  state.seconds_before = meta.at("seconds").get<double>();
  state.summary = summary_from_json(meta.at("summary"));
  state.summary.status = "running";  // an interrupted run saved "interrupted"
  state.summary.message.clear();
  state.progress = EpochProgress{};
  if (state.in_epoch) {
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

  const auto& saved_hooks = meta.at("hooks");
  for (auto* hook : hooks) {
    const std::string key = hook->state_key();
    if (key.empty()) continue;
    if (!saved_hooks.contains(key)) {
      throw Error(fmt::format("checkpoint '{}' has no state for '{}': start over with --overwrite",
                              path.string(), key));
    }
    HookState hook_state;
    hook_state.values = saved_hooks[key].at("values");
    for (const auto& [name, stored] : saved_hooks[key].at("tensors").items()) {
      hook_state.tensors[name] = tensor(stored).to(context.device);
    }
    hook->restore_state(context, hook_state);
  }

  // Last: nothing after this may draw random numbers before the loop continues.
  const auto& generator_names = meta.at("generators");
  auto generators = process_generators();
  if (generator_names.size() != generators.size()) {
    throw Error(
        fmt::format("checkpoint '{}' was saved with {} random generators (devices), "
                    "this process has {}: resume on the same kind of machine",
                    path.string(), generator_names.size(), generators.size()));
  }
  for (size_t i = 0; i < generators.size(); ++i) {
    std::lock_guard<std::mutex> lock(generators[i].mutex());
    generators[i].set_state(tensor(generator_names[i]).to(torch::kCPU));
  }
}

}  // namespace

void remove_checkpoint(const fs::path& run_dir) {
  std::error_code ignored;
  fs::remove(checkpoint_file(run_dir), ignored);
  fs::remove(run_dir / "checkpoint.json", ignored);
}

}  // namespace actlab
