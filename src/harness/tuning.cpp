#include "src/harness/tuning.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/experiment_reading.h"
#include "src/harness/results.h"
#include "src/harness/run_metric.h"
#include "src/harness/run_set.h"

namespace actlab {

namespace fs = std::filesystem;
using experiment_reading::finish_run;

namespace {

// The [tune] candidates of `profile`: its [P.tune] values, else the file's.
const std::vector<OptionValue>& candidates(const Experiment& e, const std::string& profile) {
  if (e.tune->table) return candidates(*e.tune->table, profile);  // [tune] from: the table's
  if (auto found = e.profiles.find(profile);
      found != e.profiles.end() && found->second.tune_values) {
    return *found->second.tune_values;
  }
  return e.tune->values;
}

}  // namespace

std::vector<RunSpec> tuning_runs(const Experiment& e, const std::string& profile) {
  std::vector<RunSpec> runs;
  if (!e.tune || e.tune->table) return runs;  // [tune] from: the table's sweep tuned
  const std::vector<OptionValue>* values = &candidates(e, profile);
  const std::vector<OptionValue>* set = &e.tune->set;
  if (auto found = e.profiles.find(profile); found != e.profiles.end()) {
    if (found->second.tune_set) set = &*found->second.tune_set;
  }
  std::set<std::string> seen;
  for (const auto& base : expand(e, profile)) {
    if (base.fixes_tuned_option || !seen.insert(configuration_key(base)).second) continue;
    for (const auto& candidate : *values) {
      std::map<std::string, std::string> options(base.options.begin(), base.options.end());
      for (const auto& option : *set) options[option.key] = option.value;
      options[e.tune->option] = candidate.value;
      RunSpec run;
      for (const auto& axis : base.axes) {
        if (axis.first != "seed") run.axes.push_back(axis);
      }
      run.axes.emplace_back(e.tune->option, candidate.value);
      finish_run(e, run, options, e.tune->line, "tune");
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

std::vector<std::string> choices_at_an_end(const Experiment& e, const std::string& profile,
                                           const TuneChoice& choice) {
  std::vector<std::string> lines;
  if (!e.tune) return lines;
  const auto& values = candidates(e, profile);
  if (values.size() < 2) return lines;
  for (const auto& [key, value] : choice) {
    const bool first = same_option_value(e.tune->option, values.front().value, value);
    const bool last = same_option_value(e.tune->option, values.back().value, value);
    if (!first && !last) continue;
    lines.push_back(fmt::format(
        "{}: {} = {} is the {} of the [tune] values in {}: the best may lie beyond them; widen "
        "the list",
        key, e.tune->option, value, first ? "first" : "last", e.file.string()));
  }
  return lines;
}

std::vector<RunSpec> neighbour_runs(const Experiment& e, const std::string& profile,
                                    const TuneChoice& choice) {
  std::vector<RunSpec> runs;
  if (!e.tune || !e.tune->neighbours) return runs;
  const auto& values = candidates(e, profile);
  std::set<std::string> seen;
  for (const auto& base : expand(e, profile, &choice)) {
    if (base.fixes_tuned_option) continue;  // a control at a fixed rate has no neighbours
    const std::string key = configuration_key(base);
    // The first run of a configuration in grid order has the grid's first seed.
    if (!seen.insert(key).second) continue;
    const auto chosen = choice.find(key);
    if (chosen == choice.end()) continue;
    size_t at = values.size();
    for (size_t i = 0; i < values.size(); ++i) {
      if (same_option_value(e.tune->option, values[i].value, chosen->second)) at = i;
    }
    if (at == values.size()) continue;  // a choice.json of other candidates: nothing is next
    for (const size_t next : {at - 1, at + 1}) {
      if (next >= values.size()) continue;  // at an end of the grid (size_t wraps below 0)
      std::map<std::string, std::string> options(base.options.begin(), base.options.end());
      options[e.tune->option] = values[next].value;
      RunSpec run;
      run.axes = base.axes;
      run.axes.emplace_back(e.tune->option, values[next].value);
      finish_run(e, run, options, e.tune->line);
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

TuneChoice choose_tuned_values(const Experiment& experiment, const fs::path& tune_dir,
                               const std::vector<RunSpec>& tuning) {
  TuneChoice choice;
  nlohmann::json record = {{"option", experiment.tune->option},
                           {"metric", experiment.tune->metric},
                           {"rule", "lowest metric among completed runs; diverged runs lose"},
                           {"choices", nlohmann::json::object()}};
  std::map<std::string, std::vector<const RunSpec*>> by_configuration;
  for (const auto& run : tuning)
    by_configuration[configuration_key(run, experiment.tune->option)].push_back(&run);
  for (const auto& [key, candidates] : by_configuration) {
    std::optional<double> best;
    std::string best_value;
    bool any_trained = false;  // a candidate whose final training error left chance
    nlohmann::json measured = nlohmann::json::object();
    for (const auto* run : candidates) {
      const std::string value = run->axes.back().second;
      const RunResult result = load_run(tune_dir / "runs" / run->id);
      const auto status = result.status();
      if (!is_final(status)) {
        throw Error(
            fmt::format("tuning run {} has not finished ({}): run the sweep again to "
                        "finish tuning",
                        run->id, status ? to_string(*status) : "not started"));
      }
      const auto metric = run_metric(result, experiment.tune->metric);
      if (status == RunStatus::diverged || !metric.value || !std::isfinite(*metric.value)) {
        measured[value] =
            status == RunStatus::diverged ? nlohmann::json("diverged") : nlohmann::json(nullptr);
        continue;
      }
      measured[value] = *metric.value;
      const auto error = result.summary.value("final_train_error", nlohmann::json());
      any_trained =
          any_trained || (error.is_number() && error.get<double>() < experiment.trained_below);
      if (!best || *metric.value < *best) {
        best = *metric.value;
        best_value = value;
      }
    }
    if (!best) {
      throw Error(fmt::format(
          "no candidate of {} trained for {} (all diverged or no {}): widen "
          "[tune] values in {}",
          experiment.tune->option, key, experiment.tune->metric, experiment.file.string()));
    }
    choice[key] = best_value;
    record["choices"][key] = {{"value", best_value}, {"measured", measured}};
    // No candidate left chance: the lowest metric is noise, and the runs at it will not train
    // either; said in the record (readers of a table copy it) and by none_trained().
    if (!any_trained) record["choices"][key]["none_trained"] = true;
  }
  write_file_atomic(tune_dir / "choice.json", record.dump(2) + "\n");
  return choice;
}

std::vector<std::string> none_trained(const Experiment& e, const fs::path& tune_dir) {
  std::vector<std::string> lines;
  const auto record = read_json_or_empty(tune_dir / "choice.json");
  if (!record.contains("choices")) return lines;
  for (const auto& [key, entry] : record["choices"].items()) {
    if (!entry.value("none_trained", false)) continue;
    lines.push_back(fmt::format(
        "{}: no {} candidate left chance (final training error at or above trained_below = {}): "
        "{} = {} is noise: this configuration does not train within the tuning runs' budget",
        key, e.tune->option, format_number(e.trained_below), e.tune->option,
        entry.value("value", "")));
  }
  return lines;
}

std::vector<std::string> describe_choices(const Experiment& e, const std::string& profile,
                                          const TuneChoice& choice, const fs::path& tune_dir) {
  const bool read = e.tune->table != nullptr;
  std::vector<std::string> lines;
  for (const auto& [key, value] : choice) {
    lines.push_back(fmt::format("tuned {}: {} = {}{}", key, e.tune->option, value,
                                read ? " (from " + e.tune->from.string() + ")" : ""));
  }
  if (!read) {  // a table's own ends were said when it ran
    for (const auto& line : choices_at_an_end(e, profile, choice))
      lines.push_back("warning: " + line);
  }
  for (const auto& line : none_trained(e, tune_dir)) lines.push_back("warning: " + line);
  return lines;
}

void refuse_grid_of_table(const Experiment& e, const std::string& what) {
  if (!e.tune || !e.tune->only) return;
  throw Error(
      fmt::format("{} is a table of tuned values: it has no grid runs for {}; run it "
                  "whole (`actlab run {}`)",
                  e.file.string(), what, e.file.string()));
}

void require_tune_choice(const Experiment& e, const std::string& profile, const TuneChoice& choice,
                         const fs::path& sweep, const std::string& then) {
  if (!e.tune || !choice.empty()) return;
  const auto runs = expand(e, profile, nullptr);
  if (std::all_of(runs.begin(), runs.end(), [](const RunSpec& r) { return r.fixes_tuned_option; }))
    return;
  throw Error(fmt::format("{} has a [tune] stage that has not run yet ({} is missing): {}",
                          e.file.string(), (sweep / "tune" / "choice.json").string(), then));
}

TuneChoice read_tune_choice(const fs::path& sweep) {
  TuneChoice choice;
  const auto record = read_json_or_empty(sweep / "tune" / "choice.json");
  if (record.contains("choices")) {
    for (const auto& [key, entry] : record["choices"].items())
      choice[key] = entry.value("value", "");
  }
  return choice;
}

}  // namespace actlab
