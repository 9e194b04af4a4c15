// Checks across an experiment file's tables, each naming the file, the line and the fix: values
// listed twice, overrides that can match no run, unordered candidates of a [tune] with neighbours.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/experiment_reading.h"

namespace actlab::experiment_reading {

void check_distinct_values(const Experiment& e, const Axis& axis, const std::string& table) {
  std::map<std::string, int> seen;
  for (const auto& option : axis.values) {
    const std::string canonical =
        axis.arms.empty() ? canonical_option_value(axis.key, option.value) : option.value;
    auto [it, fresh] = seen.emplace(canonical, option.line);
    if (!fresh) {
      fail(e, option.line,
           fmt::format("[{}] {} lists {} twice (as {}): remove one, or the same run would be "
                       "launched twice",
                       table, axis.key, option.value, canonical));
    }
  }
}

void check_overrides(const Experiment& e) {
  const auto takes = values_taken(e);
  for (const auto& override_entry : e.overrides) {
    for (const auto& [key, value] : override_entry.when) {
      auto it = takes.find(key);
      if (it == takes.end()) {
        fail(e, override_entry.line,
             fmt::format("[[override]] when {} = ...: the file never sets '{}' (not in [base], a "
                         "grid or a profile), so this override can never apply",
                         key, key));
      }
      if (!it->second.count(value)) {
        std::vector<std::string> values(it->second.begin(), it->second.end());
        fail(e, override_entry.line,
             fmt::format("[[override]] when {} = {} matches no run: {} takes {}", key, value, key,
                         join(values)));
      }
    }
  }
}

void check_ordered(const Experiment& e, const std::vector<OptionValue>& values, int line,
                   const std::string& table) {
  std::vector<double> numbers;
  for (const auto& value : values) {
    char* end = nullptr;
    const double number = std::strtod(value.value.c_str(), &end);
    if (value.value.empty() || *end != '\0') return;
    numbers.push_back(number);
  }
  const bool distinct = std::adjacent_find(numbers.begin(), numbers.end()) == numbers.end();
  const bool rising = std::is_sorted(numbers.begin(), numbers.end());
  const bool falling = std::is_sorted(numbers.rbegin(), numbers.rend());
  if (!distinct || (!rising && !falling)) {
    fail(e, line,
         fmt::format("[{}] values must be in increasing or decreasing order with neighbours = "
                     "true (the neighbours of a choice are the values beside it in the list)",
                     table));
  }
}

}  // namespace actlab::experiment_reading
