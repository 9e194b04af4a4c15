#include "src/core/cpus.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
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

}  // namespace actlab
