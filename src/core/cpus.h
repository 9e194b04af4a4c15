#pragma once

#include <string>

namespace actlab {

// The CPUs this process may use: SLURM_CPUS_PER_TASK inside a Slurm job that sets it, else the
// CPUs of its affinity mask (taskset, cgroups), else every core.
int allocated_cpus();

// The CPU instruction-set flag that makes bf16 arithmetic native ("avx512_bf16", "amx_bf16" on
// x86, "bf16" on Arm), read from /proc/cpuinfo; empty when there is none (or no /proc: bf16 is
// then emulated in software, several times slower than fp32, and never worth it).
std::string native_bf16_flag();

// The CPU's name as /proc/cpuinfo gives it ("AMD EPYC 7B13"; x86's "model name", else Arm's
// "CPU implementer" and "CPU part" codes), or "unknown". Runs are recorded with it: one build
// can give other numbers on another CPU (other oneDNN kernels), so pairs that must be
// bit-identical must come from one CPU model.
std::string cpu_model();

}  // namespace actlab
