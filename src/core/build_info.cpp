#include "src/core/build_info.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <thread>

#include "src/core/compat.h"
#include "src/core/cpus.h"

namespace actlab {

std::string git_commit() {
  return
#include "git_commit.inc"
      ;
}

std::string short_commit(const std::string& commit) {
  const bool dirty = commit.size() > 6 && commit.compare(commit.size() - 6, 6, "-dirty") == 0;
  return commit.substr(0, std::min<size_t>(12, commit.size())) + (dirty ? "-dirty" : "");
}

std::string torch_version() {
  return TORCH_VERSION;
}

std::string actlab_version() {
  return "0.1.0";
}

std::string format_cudnn_version(long version) {
  const long major_unit = version >= 90000 ? 10000 : 1000;
  return fmt::format("{}.{}.{}", version / major_unit, version % major_unit / 100, version % 100);
}

std::string runtime_report() {
  std::string report = fmt::format("LibTorch {}\n", torch_version());
  // The CUDA hooks are registered when LibTorch's CUDA library is loaded, i.e. in a CUDA build;
  // their versions are the ones LibTorch was compiled with and need no GPU to query.
  const auto& cuda = at::detail::getCUDAHooks();
  if (cuda.hasCUDART()) {
    const long runtime = cuda.versionCUDART();
    report += fmt::format("CUDA: compiled in (CUDA {}.{}", runtime / 1000, runtime % 1000 / 10);
    report += cuda.compiledWithCuDNN()
                  ? fmt::format(", cuDNN {})\n", format_cudnn_version(cuda.versionCuDNN()))
                  : ", without cuDNN)\n";
  } else {
    report +=
        "CUDA: not compiled in (CPU-only LibTorch; GPU machines build with scripts/torch2.sh)\n";
  }
  const std::string bf16 = native_bf16_flag();
  report += bf16.empty() ? "CPU bf16: not native (--bf16 refused on the CPU)\n"
                         : fmt::format("CPU bf16: native ({}; --bf16 allowed on the CPU)\n", bf16);
  // The cores a run uses by default (--threads 0), not LibTorch's start-up setting.
  report += fmt::format("devices: cpu ({} cores, {})",
                        std::max(1u, std::thread::hardware_concurrency()), cpu_model());
  if (cuda.hasCUDART()) {
    compat::CapturedWarnings warnings;  // "no NVIDIA driver" and the like: said here, once
    const auto count = torch::cuda::device_count();
    report += count > 0 ? fmt::format(", cuda: {} visible", count) : ", cuda: none visible";
    if (count == 0 && !warnings.messages.empty()) {
      const std::string& why = warnings.messages.front();
      report += fmt::format(" ({})", why.substr(0, why.find('\n')));
    }
  }
  return report;
}

}  // namespace actlab
