#pragma once

namespace actlab {

// The CPUs this process may use: SLURM_CPUS_PER_TASK inside a Slurm job that sets it, else the
// CPUs of its affinity mask (taskset, cgroups), else every core.
int allocated_cpus();

}  // namespace actlab
