#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "src/core/files.h"

namespace actlab::cli {

// Each command registers its sub-command and returns the action to run when it was chosen.
// Actions return the process exit code.
using Action = std::function<int()>;

Action add_train_command(CLI::App& app);
Action add_list_command(CLI::App& app);
Action add_data_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_collect_command(CLI::App& app);
Action add_compare_command(CLI::App& app);
Action add_verdict_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_results_command(CLI::App& app);

// Exit codes: 0 ok, 1 bad input (actlab::Error), 2 bad command line, 3 run diverged,
// 4 internal error, 75 a file could not be written (EX_TEMPFAIL: free space and run it again),
// 130 interrupted.
inline constexpr int kExitError = 1;
inline constexpr int kExitDiverged = 3;
inline constexpr int kExitInternal = 4;
inline constexpr int kExitWriteFailed = kWriteFailedExitCode;
inline constexpr int kExitInterrupted = 130;

}  // namespace actlab::cli
