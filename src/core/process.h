#pragma once

// The one way actlab starts another program (no shell): a sweep's `actlab train` runs, Slurm's
// commands, the report's python, the tests' browsers.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace actlab {

struct ProcessOptions {
  // stdout and stderr into this file (empty: inherited from this process).
  std::filesystem::path output_file;
  bool append = false;  // after the file's content (a resumed run's log goes on), else truncate
  // The child is killed when this process dies (PR_SET_PDEATHSIG), so a killed sweep leaves no
  // orphan writing into a run folder.
  bool die_with_parent = false;
};

// Starts argv (argv[0] a path, or a name looked up on PATH) and returns its pid; the caller
// waits for it (wait_status_code gives its exit code). Throws Error when it cannot fork.
pid_t start_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// An exit code from a waitpid status: the program's own, or 128 + the signal that killed it.
int wait_status_code(int wait_status);

struct ProcessOutput {
  int exit_code = -1;  // 127: the program was not found; 128 + N: killed by signal N
  std::string out;     // stdout, and stderr too when merged
  std::string err;     // stderr when kept apart
};

enum class Streams { merged, separate };

// Runs argv, waits, and returns what it printed. Both pipes are read at once (poll), so a chatty
// stderr cannot block the child while stdout is read. Throws Error when it cannot start.
ProcessOutput run_process(const std::vector<std::string>& argv, Streams streams = Streams::merged);

}  // namespace actlab
