// An experiment's grid expanded into runs: the product of its axes with base, profile and
// override options, each run's folder id, and the configurations [tune] chooses for.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/experiment_reading.h"
#include "src/harness/statistics.h"  // fnv1a

namespace actlab {

using namespace experiment_reading;

namespace {

std::string folder_safe(const std::string& text) {
  std::string safe;
  for (char c : text)
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return safe;
}

}  // namespace

void experiment_reading::finish_run(const Experiment& e, RunSpec& run,
                                    const std::map<std::string, std::string>& options, int line,
                                    const std::string& prefix) {
  run.options.assign(options.begin(), options.end());
  std::string canonical, readable = prefix;
  for (const auto& [key, value] : run.options) canonical += key + "=" + value + "\n";
  for (const auto& [key, value] : run.axes)
    readable += (readable.empty() ? "" : "_") + folder_safe(key + "-" + value);
  run.id = fmt::format("{}{}{:08x}", readable, readable.empty() ? "" : "_",
                       static_cast<uint32_t>(fnv1a(canonical)));
  run.line = line;
  try {
    check_train_arguments(train_arguments(run));
  } catch (const Error& error) {
    fail(e, line, fmt::format("run {}: {}", run.id, error.what()));
  }
}

std::string configuration_key(const RunSpec& run, const std::string& tuned_option) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : run.axes) {
    if (key != "seed" && key != tuned_option) parts.push_back(key + "=" + value);
  }
  return join(parts, ",");
}

// Every value each option (or arm axis) takes somewhere in the file, canonical.
std::map<std::string, std::set<std::string>> experiment_reading::values_taken(const Experiment& e) {
  std::map<std::string, std::set<std::string>> takes;  // option -> canonical values
  auto add_options = [&](const std::vector<OptionValue>& options) {
    for (const auto& o : options) takes[o.key].insert(canonical_option_value(o.key, o.value));
  };
  auto add_axes = [&](const std::vector<Axis>& axes) {
    for (const auto& axis : axes) {
      if (axis.arms.empty()) add_options(axis.values);
      for (const auto& arm : axis.arms) add_options(arm);
      if (!axis.arms.empty()) {
        for (const auto& label : axis.values) takes[axis.key].insert(label.value);
      }
    }
  };
  add_options(e.base);
  add_axes(e.grid);
  for (const auto& [name, profile] : e.profiles) {
    add_options(profile.options);
    add_axes(profile.grid);
  }
  for (const auto& override_entry : e.overrides) add_options(override_entry.set);
  if (e.tune) add_options(e.tune->values);
  for (const auto& [name, profile] : e.profiles) {
    if (profile.tune_values) add_options(*profile.tune_values);
  }
  return takes;
}

std::vector<RunSpec> expand(const Experiment& e, const std::string& profile_name,
                            const TuneChoice* choice) {
  std::vector<Axis> axes = e.grid;
  const Profile* profile = nullptr;
  if (!profile_name.empty()) {
    auto found = e.profiles.find(profile_name);
    if (found == e.profiles.end()) {
      std::vector<std::string> declared = {"full"};
      for (const auto& [name, _] : e.profiles) declared.push_back(name);
      throw Error(fmt::format("{} has no [{}] profile: it declares {}", e.file.string(),
                              profile_name, join(declared)));
    }
    profile = &found->second;
    for (const auto& replacement : profile->grid) {
      auto it = std::find_if(axes.begin(), axes.end(),
                             [&](const Axis& a) { return a.key == replacement.key; });
      if (it != axes.end()) {
        *it = replacement;
      } else {
        axes.push_back(replacement);
      }
    }
  }
  const int grid_line = axes.empty() ? 1 : axes.front().line;
  size_t total = 1;
  for (const auto& axis : axes) total *= axis.values.size();

  std::vector<RunSpec> runs;
  for (size_t n = 0; n < total; ++n) {
    std::map<std::string, std::string> options;
    for (const auto& option : e.base) options[option.key] = option.value;
    if (profile != nullptr) {
      for (const auto& option : profile->options) options[option.key] = option.value;
    }
    RunSpec run;
    size_t rest = n;
    std::vector<size_t> picks(axes.size());
    for (size_t a = axes.size(); a-- > 0;) {
      picks[a] = rest % axes[a].values.size();
      rest /= axes[a].values.size();
    }
    const bool tuned = e.tune.has_value();
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto& value = axes[a].values[picks[a]].value;
      run.axes.emplace_back(axes[a].key, value);
      if (axes[a].arms.empty()) {
        options[axes[a].key] = value;
        run.fixes_tuned_option |= tuned && axes[a].key == e.tune->option;
      } else {
        for (const auto& option : axes[a].arms[picks[a]]) {
          options[option.key] = option.value;
          run.fixes_tuned_option |= tuned && option.key == e.tune->option;
        }
      }
    }
    for (const auto& override_entry : e.overrides) {
      const bool matches =
          std::all_of(override_entry.when.begin(), override_entry.when.end(), [&](const auto& w) {
            auto it = options.find(w.first);
            return it != options.end() && same_option_value(w.first, it->second, w.second);
          });
      if (matches) {
        for (const auto& option : override_entry.set) options[option.key] = option.value;
      }
    }
    if (!e.targets.empty()) options["target"] = join(e.targets, ";");
    if (e.tune && choice != nullptr && !run.fixes_tuned_option) {
      if (auto chosen = choice->find(configuration_key(run)); chosen != choice->end())
        options[e.tune->option] = chosen->second;
    }
    finish_run(e, run, options, grid_line);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace actlab
