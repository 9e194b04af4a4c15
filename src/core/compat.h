#pragma once

// The one place where LibTorch 1.13 (Debian, CPU) and LibTorch 2.x (CUDA wheels) differ in the
// API actlab uses. Everything else in the project calls these wrappers, never the versioned API.

#include <ATen/autocast_mode.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <string>
#include <vector>

namespace actlab::compat {

inline constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

// Enables or disables autocast to `dtype` on `device` (kCPU or kCUDA) for the current thread.
// 1.13: set_enabled / set_cpu_enabled + set_autocast_{gpu,cpu}_dtype; 2.4+: the device-typed calls.
inline void set_autocast(at::DeviceType device, bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == at::kCPU) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
  if (!enabled) at::autocast::clear_cache();
}

// bf16 autocast on `device` for a scope when `on`, off again when the scope ends (also when the
// forward inside it throws, which would otherwise leave every later op of the thread in bf16).
class AutocastScope {
 public:
  AutocastScope(at::DeviceType device, bool on) : device_(device), on_(on) {
    if (on_) set_autocast(device_, true, at::kBFloat16);
  }
  ~AutocastScope() {
    if (on_) set_autocast(device_, false, at::kBFloat16);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  at::DeviceType device_;
  bool on_;
};

// Waits for queued CUDA work (for honest wall-clock timings); a no-op without CUDA.
inline void synchronize_cuda() {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
}

// Collects the LibTorch warnings (TORCH_WARN) raised while it lives instead of printing them.
// 1.13: c10::Warning::*_warning_handler and process(location, message, verbatim);
// 2.x: c10::WarningUtils::*_warning_handler and process(const c10::Warning&).
class CapturedWarnings : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  CapturedWarnings() : previous_(c10::WarningUtils::get_warning_handler()) {
    c10::WarningUtils::set_warning_handler(this);
  }
  ~CapturedWarnings() override {
    c10::WarningUtils::set_warning_handler(previous_);
  }
  void process(const c10::Warning& warning) override {
    messages.push_back(warning.msg());
  }
#else
  CapturedWarnings() : previous_(c10::Warning::get_warning_handler()) {
    c10::Warning::set_warning_handler(this);
  }
  ~CapturedWarnings() override {
    c10::Warning::set_warning_handler(previous_);
  }
  void process(const c10::SourceLocation&, const std::string& message, const bool) override {
    messages.push_back(message);
  }
#endif
  CapturedWarnings(const CapturedWarnings&) = delete;
  CapturedWarnings& operator=(const CapturedWarnings&) = delete;

  std::vector<std::string> messages;

 private:
  c10::WarningHandler* previous_;
};

}  // namespace actlab::compat
