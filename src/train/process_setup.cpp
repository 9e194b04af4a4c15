#include "src/train/process_setup.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <atomic>
#include <csignal>

#include "src/core/cpus.h"
#include "src/core/error.h"
#include "src/train/cuda_settings.h"

namespace actlab {

namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void handle_interrupt(int signal_number) {
  g_stop_requested = true;
  std::signal(signal_number, SIG_DFL);
}

}  // namespace

torch::Device prepare_process(const TrainConfig& config) {
  const torch::Device device = resolve_device(config.device);
  // Without native bf16 instructions the CPU emulates bf16, slower than fp32 (measured 3.4x on
  // a Xeon without avx512_bf16): refused rather than silently slow.
  if (config.bf16 && !device.is_cuda() && native_bf16_flag().empty()) {
    throw Error(
        "--bf16 on the CPU needs native bf16 instructions (avx512_bf16, amx_bf16 or Arm bf16; "
        "`actlab --version` says what this CPU has): drop --bf16 or use --device cuda");
  }
  at::set_num_threads(config.threads);
  // Set either way: a process that runs several trainings (tests) must not inherit the last one's.
  if (!at::globalContext().setFlushDenormal(config.flush_denormal) && config.flush_denormal) {
    throw Error("--flush-denormal is not supported on this CPU (no SSE3): drop it");
  }
  apply_cuda_settings(config);
  torch::manual_seed(config.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(config.seed);
  return device;
}

void request_stop() {
  g_stop_requested = true;
}
bool stop_requested() {
  return g_stop_requested;
}
void clear_stop_request() {
  g_stop_requested = false;
}

void install_interrupt_handler() {
  std::signal(SIGINT, handle_interrupt);
  std::signal(SIGTERM, handle_interrupt);
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  std::optional<torch::Device> device;
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw Error(fmt::format("unknown --device '{}': valid are auto, cpu, cuda, cuda:N", name));
  }
  if (device->is_cuda() && !torch::cuda::is_available()) {
    throw Error(
        fmt::format("--device {} asked for, but this LibTorch sees no CUDA device: use "
                    "--device cpu, or build against a CUDA LibTorch (see README, GPU)",
                    name));
  }
  if (!device->is_cuda() && !device->is_cpu()) {
    throw Error(fmt::format("--device '{}' is not supported: use cpu or cuda", name));
  }
  return *device;
}

}  // namespace actlab
