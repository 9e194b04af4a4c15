#include "src/core/cpus.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace actlab {

int allocated_cpus() {
  if (const char* text = std::getenv("SLURM_CPUS_PER_TASK")) {
    const int cpus = std::atoi(text);
    if (cpus > 0) return cpus;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::string native_bf16_flag() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    // x86 lists "flags", Arm "Features"; the first processor's line speaks for all.
    if (line.rfind("flags", 0) != 0 && line.rfind("Features", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string word, found;
    while (words >> word) {
      if (word == "amx_bf16" || (found.empty() && (word == "avx512_bf16" || word == "bf16"))) {
        found = word;
      }
    }
    return found;
  }
  return "";
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, implementer, part;
  auto value = [](const std::string& text) {
    const auto colon = text.find(':');
    const auto start = text.find_first_not_of(" \t", colon + 1);
    return colon == std::string::npos || start == std::string::npos ? std::string()
                                                                    : text.substr(start);
  };
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) return value(line);
    if (line.rfind("CPU implementer", 0) == 0 && implementer.empty()) implementer = value(line);
    if (line.rfind("CPU part", 0) == 0 && part.empty()) part = value(line);
  }
  if (!implementer.empty()) return "Arm implementer " + implementer + " part " + part;
  return "unknown";
}

}  // namespace actlab
