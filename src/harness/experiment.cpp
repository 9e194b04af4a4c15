#include "src/harness/experiment.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <map>
#include <set>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/train/convergence.h"
#include "src/train/train_options.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Options the harness sets itself; a file that sets them is rejected.
const std::set<std::string> kReservedOptions = {"out", "overwrite", "device", "threads"};

std::string dashed(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

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

// Parses `arguments` into a fresh TrainConfig with the real `actlab train` options and, with
// `resolve_all`, resolves it: exactly what the child process will do, minus loading data.
void check_train_arguments(const std::vector<std::string>& arguments, bool resolve_all = true) {
  TrainConfig config;
  CLI::App app;
  add_train_options(app, config);
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11 wants reverse
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    throw Error(error.what());
  }
  if (resolve_all) resolve(config);
}

// One option on its own: its type, and names that registries must know. Whether options fit
// together (a depth for a fixed-depth model) is checked per run in expand().
void check_single_option(const std::string& key, const std::string& value) {
  check_train_arguments({fmt::format("{}={}", dashed(key), value)}, /*resolve_all=*/false);
  if (key == "activation") canonical_activation_spec(value);
  if (key == "model") model_registry().get(value);
  if (key == "target") parse_target(value);
}

std::vector<std::string> known_options() {
  TrainConfig config;
  CLI::App app;
  add_train_options(app, config);
  std::vector<std::string> names;
  for (const auto* option : app.get_options()) {
    for (auto name : option->get_lnames()) {
      std::replace(name.begin(), name.end(), '-', '_');
      if (!kReservedOptions.count(name)) names.push_back(name);
    }
  }
  return names;
}

OptionValue read_option(const Experiment& e, const std::string& key, const toml::node& node,
                        const std::string& table) {
  static const std::vector<std::string> known = known_options();
  if (std::find(known.begin(), known.end(), key) == known.end()) {
    const std::string hint = kReservedOptions.count(key)
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
    Axis axis{k, {}, line_of(node)};
    for (const auto& element : *array) axis.values.push_back(read_option(e, k, element, name));
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

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

std::string folder_safe(const std::string& text) {
  std::string safe;
  for (char c : text)
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return safe;
}

}  // namespace

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
  static const std::set<std::string> top_level = {"name", "claim",    "source",  "regime", "base",
                                                  "grid", "override", "targets", "quick"};
  for (const auto& [key, node] : root) {
    if (!top_level.count(std::string(key.str()))) {
      fail(e, line_of(node),
           fmt::format("unknown key '{}': valid top-level keys are name, claim, source, "
                       "regime, [base], [grid], [[override]], [targets], [quick]",
                       key.str()));
    }
  }
  e.name = text_field(e, root, "name", true);
  e.claim = text_field(e, root, "claim", true);
  e.source = text_field(e, root, "source", false);
  e.regime = text_field(e, root, "regime", false);
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
      for (const auto& [key, value] : *when) {
        override_entry.when.emplace_back(std::string(key.str()),
                                         value_text(e, value, std::string(key.str())));
      }
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
  if (const auto* quick = root["quick"].as_table()) {
    e.quick = read_options(e, *quick, "quick", {"grid"});
    if (const auto* quick_grid = (*quick)["grid"].as_table())
      e.quick_grid = read_grid(e, *quick_grid, "quick.grid");
  }
  return e;
}

std::vector<RunSpec> expand(const Experiment& e, bool quick) {
  std::vector<Axis> axes = e.grid;
  if (quick) {
    for (const auto& replacement : e.quick_grid) {
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
    if (quick) {
      for (const auto& option : e.quick) options[option.key] = option.value;
    }
    RunSpec run;
    size_t rest = n;
    std::vector<size_t> picks(axes.size());
    for (size_t a = axes.size(); a-- > 0;) {
      picks[a] = rest % axes[a].values.size();
      rest /= axes[a].values.size();
    }
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto& value = axes[a].values[picks[a]].value;
      run.axes.emplace_back(axes[a].key, value);
      options[axes[a].key] = value;
    }
    for (const auto& override_entry : e.overrides) {
      const bool matches =
          std::all_of(override_entry.when.begin(), override_entry.when.end(), [&](const auto& w) {
            auto it = options.find(w.first);
            return it != options.end() && it->second == w.second;
          });
      if (matches) {
        for (const auto& option : override_entry.set) options[option.key] = option.value;
      }
    }
    if (!e.targets.empty()) options["target"] = join(e.targets, ";");
    run.options.assign(options.begin(), options.end());
    std::string canonical, readable;
    for (const auto& [key, value] : run.options) canonical += key + "=" + value + "\n";
    for (const auto& [key, value] : run.axes)
      readable += (readable.empty() ? "" : "_") + folder_safe(key + "-" + value);
    run.id = fmt::format("{}{}{:08x}", readable, readable.empty() ? "" : "_",
                         static_cast<uint32_t>(fnv1a(canonical)));
    run.line = grid_line;
    try {
      check_train_arguments(train_arguments(run));
    } catch (const Error& error) {
      fail(e, grid_line, fmt::format("run {}: {}", run.id, error.what()));
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

std::vector<std::string> train_arguments(const RunSpec& run) {
  std::vector<std::string> arguments;
  for (const auto& [key, value] : run.options) {
    if (key == "target") {
      // Several targets travel as one ';'-joined value; each becomes its own --target.
      for (const auto& target : split(value, ';')) arguments.push_back("--target=" + target);
      continue;
    }
    arguments.push_back(fmt::format("{}={}", dashed(key), value));
  }
  return arguments;
}

}  // namespace actlab
