#pragma once

// A run's status as summary.json records it ("status"), as a type: every reader compares it
// through this, never as a string.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace actlab {

enum class RunStatus {
  running,      // started, not finished (or killed: its start-time summary was never replaced)
  completed,    // trained to its last epoch or to its stop_when target
  diverged,     // stopped at a non-finite loss or error
  interrupted,  // stopped by a signal or a write failure; resumes from its checkpoint
};

// The word summary.json holds: "running", "completed", "diverged", "interrupted".
const char* to_string(RunStatus status);

// The status a word names; none for any other word (a damaged or foreign record) or "".
std::optional<RunStatus> parse_run_status(std::string_view word);

// An outcome that would only repeat (completed, diverged): no sweep runs it again, and tuning
// and verdicts may use it.
bool is_final(RunStatus status);
bool is_final(const std::optional<RunStatus>& status);

// The word, for test failures and logs.
std::ostream& operator<<(std::ostream& out, RunStatus status);

}  // namespace actlab
