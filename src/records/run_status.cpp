#include "src/records/run_status.h"

#include <array>
#include <ostream>
#include <utility>

namespace actlab {

namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 4> kWords = {{
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::diverged, "diverged"},
    {RunStatus::interrupted, "interrupted"},
}};

}  // namespace

const char* to_string(RunStatus status) {
  for (const auto& [value, word] : kWords) {
    if (value == status) return word;
  }
  return "unknown";
}

std::optional<RunStatus> parse_run_status(std::string_view word) {
  for (const auto& [value, name] : kWords) {
    if (word == name) return value;
  }
  return std::nullopt;
}

bool is_final(RunStatus status) {
  return status == RunStatus::completed || status == RunStatus::diverged;
}

bool is_final(const std::optional<RunStatus>& status) {
  return status && is_final(*status);
}

std::ostream& operator<<(std::ostream& out, RunStatus status) {
  return out << to_string(status);
}

}  // namespace actlab
