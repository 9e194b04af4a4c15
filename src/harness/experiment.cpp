// Reading an experiment file (experiments/README.md): its TOML tables into an Experiment, each
// problem named with the file, the line and the fix.
#include "src/harness/experiment.h"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/experiment_reading.h"
#include "src/train/convergence.h"

namespace actlab {

namespace fs = std::filesystem;
using namespace experiment_reading;

namespace experiment_reading {

int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

[[noreturn]] void fail(const Experiment& e, int line, const std::string& message) {
  throw Error(fmt::format("{}:{}: {}", e.file.string(), line, message));
}

std::string value_text(const Experiment& e, const toml::node& node, const std::string& key) {
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (node.is_floating_point()) return format_number(*node.value<double>());
  fail(e, line_of(node), fmt::format("'{}' must be a string, number or boolean", key));
}

}  // namespace experiment_reading

namespace {

OptionValue read_option(const Experiment& e, const std::string& key, const toml::node& node,
                        const std::string& table) {
  static const std::vector<std::string> known = known_options();
  if (std::find(known.begin(), known.end(), key) == known.end()) {
    const std::string hint = is_reserved_option(key)
                                 ? fmt::format("'{}' is set by `actlab run` itself: remove it", key)
                                 : fmt::format(
                                       "valid options are those of `actlab train --help` with "
                                       "underscores, e.g. {}",
                                       join({known.begin(), known.begin() + 6}));
    fail(e, line_of(node), fmt::format("unknown option '{}' in [{}]: {}", key, table, hint));
  }
  OptionValue option{key, value_text(e, node, key), line_of(node)};
  try {
    check_single_option(key, option.value);
  } catch (const Error& error) {
    fail(e, option.line, fmt::format("[{}] {} = {}: {}", table, key, option.value, error.what()));
  }
  return option;
}

std::vector<OptionValue> read_options(const Experiment& e, const toml::table& table,
                                      const std::string& name,
                                      const std::set<std::string>& skip = {}) {
  std::vector<OptionValue> options;
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (!skip.count(k)) options.push_back(read_option(e, k, node, name));
  }
  return options;
}

std::vector<Axis> read_grid(const Experiment& e, const toml::table& table,
                            const std::string& name) {
  std::vector<Axis> axes;
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    const auto* array = node.as_array();
    if (array == nullptr || array->empty()) {
      fail(e, line_of(node),
           fmt::format("[{}] {} must be a non-empty list of values, e.g. {} = [...]", name, k, k));
    }
    Axis axis{k, {}, {}, line_of(node)};
    const bool arms = array->front().is_table();
    for (const auto& element : *array) {
      if (element.is_table() != arms) {
        fail(e, line_of(element),
             fmt::format("[{}] {} mixes tables and values: make every element an option value, "
                         "or every element an arm {{ label = \"...\", option = value, ... }}",
                         name, k));
      }
      if (!arms) {
        axis.values.push_back(read_option(e, k, element, name));
        continue;
      }
      const auto& table = *element.as_table();
      const auto* label = table.get("label");
      if (label == nullptr || !label->is_string()) {
        fail(e, line_of(element),
             fmt::format("[{}] each arm of {} needs label = \"...\" (it names the run folders)",
                         name, k));
      }
      axis.values.push_back({k, *label->value<std::string>(), line_of(element)});
      axis.arms.push_back(read_options(e, table, name + "." + k, {"label"}));
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::string text_field(const Experiment& e, const toml::table& root, const char* key,
                       bool required) {
  const auto* node = root.get(key);
  if (node == nullptr) {
    if (required) fail(e, 1, fmt::format("missing top-level '{}': add {} = \"...\"", key, key));
    return "";
  }
  if (!node->is_string()) fail(e, line_of(*node), fmt::format("'{}' must be a string", key));
  return *node->value<std::string>();
}

Profile read_profile(const Experiment& e, const toml::table& table, const std::string& name) {
  Profile profile;
  profile.options = read_options(e, table, name, {"grid", "budget", "tune"});
  if (const auto* grid = table["grid"].as_table())
    profile.grid = read_grid(e, *grid, name + ".grid");
  if (const auto* budget = table.get("budget")) {
    if (!budget->is_string())
      fail(e, line_of(*budget), fmt::format("[{}] budget must be a string", name));
    profile.budget = *budget->value<std::string>();
  }
  return profile;
}

void read_tune_candidates(const Experiment& e, const toml::table& table, Tune& tune);
void check_tuned_option_free(const Experiment& e, const Tune& tune);

Tune read_tune(const Experiment& e, const toml::table& table) {
  Tune tune;
  tune.line = line_of(table);
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (k != "option" && k != "values" && k != "metric" && k != "neighbours" && k != "set" &&
        k != "only" && k != "from") {
      fail(e, line_of(node),
           fmt::format("unknown key '{}' in [tune]: valid are option, values, metric, "
                       "neighbours, only, from, [tune.set]",
                       k));
    }
  }
  for (auto [key, flag] : {std::pair{"neighbours", &tune.neighbours}, {"only", &tune.only}}) {
    if (const auto* node = table.get(key)) {
      if (!node->is_boolean())
        fail(e, line_of(*node), fmt::format("[tune] {} must be true or false", key));
      *flag = *node->value<bool>();
    }
  }
  if (tune.only && tune.neighbours)
    fail(e, tune.line,
         "[tune] only: a table has no grid runs to repeat next to its choices: remove neighbours");
  if (table.contains("from")) {
    tune = read_tune_from(e, table, std::move(tune));
  } else {
    read_tune_candidates(e, table, tune);
  }
  check_tuned_option_free(e, tune);
  return tune;
}

// [tune]'s own option, metric, candidates and [tune.set].
void read_tune_candidates(const Experiment& e, const toml::table& table, Tune& tune) {
  const auto* option = table.get("option");
  const auto* metric = table.get("metric");
  const auto* values = table["values"].as_array();
  if (option == nullptr || !option->is_string() || metric == nullptr || !metric->is_string() ||
      values == nullptr || values->empty()) {
    fail(e, tune.line,
         "[tune] needs option = \"lr\", values = [...] and metric = \"train_error_auc\" (lower is "
         "better)");
  }
  tune.option = *option->value<std::string>();
  tune.metric = *metric->value<std::string>();
  for (const auto& element : *values)
    tune.values.push_back(read_option(e, tune.option, element, "tune"));
  if (const auto* set = table["set"].as_table()) tune.set = read_options(e, *set, "tune.set");
  if (tune.neighbours) check_ordered(e, tune.values, line_of(*values), "tune");
}

// The tuned option is the tuning's: no grid axis or override sets it; an arm may (a control at a
// fixed rate, not tuned: RunSpec::fixes_tuned_option) but not in a table, which tunes them all.
void check_tuned_option_free(const Experiment& e, const Tune& tune) {
  std::vector<const Axis*> axes;
  for (const auto& axis : e.grid) axes.push_back(&axis);
  for (const auto& [name, profile] : e.profiles) {
    for (const auto& axis : profile.grid) axes.push_back(&axis);
  }
  for (const auto* axis : axes) {
    bool sets = axis->key == tune.option;
    for (const auto& arm : axis->arms) {
      for (const auto& option : arm) sets = sets || (tune.only && option.key == tune.option);
    }
    if (sets) {
      fail(e, tune.line,
           fmt::format("[tune] tunes '{}', which grid axis '{}' also sets: remove it there",
                       tune.option, axis->key));
    }
  }
  for (const auto& override_entry : e.overrides) {
    for (const auto& option : override_entry.set) {
      if (option.key == tune.option) {
        fail(e, override_entry.line,
             fmt::format("[[override]] sets '{}', which [tune] chooses: remove one of them",
                         tune.option));
      }
    }
  }
}

// [P.tune] of profile P: `values` and [P.tune.set] for the file's [tune] stage.
void read_profile_tune(const Experiment& e, const toml::table& table, const std::string& name,
                       Profile& profile) {
  const int line = line_of(table);
  if (!e.tune) {
    fail(e, line,
         fmt::format("[{}.tune] adjusts a [tune] stage the file does not have: add "
                     "[tune] or remove [{}.tune]",
                     name, name));
  }
  if (e.tune->table) {
    fail(e, line,
         fmt::format("[{}.tune]: the values come from {} (its [{}.tune]): remove [{}.tune]", name,
                     e.tune->from.string(), name, name));
  }
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (k != "values" && k != "set") {
      fail(e, line_of(node),
           fmt::format("unknown key '{}' in [{}.tune]: valid are values, [{}.tune.set] (the "
                       "option and metric are [tune]'s)",
                       k, name, name));
    }
  }
  if (const auto* values = table.get("values")) {
    const auto* array = values->as_array();
    if (array == nullptr || array->empty())
      fail(e, line_of(*values), fmt::format("[{}.tune] values must be a non-empty list", name));
    std::vector<OptionValue> candidates;
    for (const auto& element : *array)
      candidates.push_back(read_option(e, e.tune->option, element, name + ".tune"));
    if (e.tune->neighbours) check_ordered(e, candidates, line_of(*values), name + ".tune");
    profile.tune_values = std::move(candidates);
  }
  if (const auto* set = table["set"].as_table())
    profile.tune_set = read_options(e, *set, name + ".tune.set");
}

}  // namespace

// A table's string-or-scalar values as (key, value text) pairs, canonical.
std::vector<std::pair<std::string, std::string>> experiment_reading::filter_of(
    const Experiment& e, const toml::table& table, const std::string& where,
    bool allow_arm_labels) {
  std::vector<std::pair<std::string, std::string>> filter;
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    static const std::vector<std::string> known = known_options();
    auto is_axis = [&](const std::vector<Axis>& axes) {
      return std::any_of(axes.begin(), axes.end(), [&](const Axis& a) { return a.key == k; });
    };
    bool axis = allow_arm_labels && is_axis(e.grid);
    for (const auto& [name, profile] : e.profiles)
      axis = axis || (allow_arm_labels && is_axis(profile.grid));
    if (axis && std::find(known.begin(), known.end(), k) == known.end()) {
      filter.emplace_back(k, value_text(e, node, k));  // an arm's label
      continue;
    }
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      fail(e, line_of(node),
           fmt::format("{} names '{}', which is no `actlab train` option or grid axis: use an "
                       "option name with underscores (e.g. activation, batch_norm, lr)",
                       where, k));
    }
    const std::string value = value_text(e, node, k);
    try {
      filter.emplace_back(k, canonical_option_value(k, value));
    } catch (const Error& error) {
      fail(e, line_of(node), fmt::format("{} {} = {}: {}", where, k, value, error.what()));
    }
  }
  return filter;
}

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names = {"quick", "standard"};
  return names;
}

Experiment load_experiment(const fs::path& file) {
  Experiment e;
  e.file = file;
  if (!fs::exists(file)) {
    throw Error(
        fmt::format("experiment file '{}' does not exist: see experiments/ for the shipped ones",
                    file.string()));
  }
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    fail(e, static_cast<int>(error.source().begin.line),
         fmt::format("syntax error: {}: fix the TOML (https://toml.io)", error.description()));
  }
  static const std::set<std::string> top_level = {
      "name",     "claim",   "source", "regime",   "control", "budget", "base",         "grid",
      "override", "targets", "quick",  "standard", "verdict", "tune",   "trained_below"};
  for (const auto& [key, node] : root) {
    if (!top_level.count(std::string(key.str()))) {
      fail(e, line_of(node),
           fmt::format("unknown key '{}': valid top-level keys are name, claim, source, "
                       "regime, control, budget, [base], [grid], [[override]], [targets], "
                       "[quick], [standard], [[verdict]], [tune], trained_below",
                       key.str()));
    }
  }
  e.name = text_field(e, root, "name", true);
  e.claim = text_field(e, root, "claim", true);
  e.source = text_field(e, root, "source", false);
  e.regime = text_field(e, root, "regime", false);
  e.control = text_field(e, root, "control", false);
  e.budget = text_field(e, root, "budget", false);
  if (const auto* trained = root.get("trained_below")) {
    const auto value = trained->value<double>();
    if (!value || !trained->is_number() || *value <= 0 || *value > 1) {
      fail(e, line_of(*trained),
           "trained_below must be a training error between 0 and 1 (default 0.85; chance on "
           "CIFAR-10 is 0.9)");
    }
    e.trained_below = *value;
  }
  if (const auto* base = root["base"].as_table()) e.base = read_options(e, *base, "base");
  if (const auto* grid = root["grid"].as_table()) e.grid = read_grid(e, *grid, "grid");
  if (const auto* overrides = root["override"].as_array()) {
    for (const auto& node : *overrides) {
      const auto* table = node.as_table();
      const auto* when = table ? (*table)["when"].as_table() : nullptr;
      const auto* set = table ? (*table)["set"].as_table() : nullptr;
      if (when == nullptr || set == nullptr) {
        fail(e, line_of(node),
             "[[override]] needs when = { axis = value } and set = { option = value }");
      }
      Override override_entry{{}, read_options(e, *set, "override.set"), line_of(node)};
      override_entry.when = filter_of(e, *when, "[[override]] when");
      e.overrides.push_back(std::move(override_entry));
    }
  }
  if (const auto* targets = root["targets"].as_table()) {
    // metric = value, or metric = [value, value] for several thresholds of one metric.
    for (const auto& [key, node] : *targets) {
      std::vector<const toml::node*> values;
      if (const auto* array = node.as_array()) {
        for (const auto& element : *array) values.push_back(&element);
      } else {
        values.push_back(&node);
      }
      for (const auto* value : values) {
        const std::string metric(key.str());
        const std::string target = fmt::format("{}={}", metric, value_text(e, *value, metric));
        try {
          parse_target(target);
        } catch (const Error& error) {
          fail(e, line_of(*value), error.what());
        }
        e.targets.push_back(target);
      }
    }
  }
  for (const auto& name : profile_names()) {
    if (const auto* table = root[name].as_table()) e.profiles[name] = read_profile(e, *table, name);
  }
  for (const auto& axis : e.grid) check_distinct_values(e, axis, "grid");
  for (const auto& [name, profile] : e.profiles) {
    for (const auto& axis : profile.grid) check_distinct_values(e, axis, name + ".grid");
  }
  check_overrides(e);
  if (const auto* tune = root["tune"].as_table()) e.tune = read_tune(e, *tune);
  for (auto& [name, profile] : e.profiles) {
    if (const auto* table = root[name]["tune"].as_table())
      read_profile_tune(e, *table, name, profile);
  }
  if (const auto* verdicts = root["verdict"].as_array()) {
    for (const auto& node : *verdicts) e.verdicts.push_back(read_verdict(e, node));
  }
  check_verdicts(e);
  return e;
}

}  // namespace actlab
