// The bridge between experiment files and `actlab train`: which options exist, how a value is
// checked (by parsing it with train's own CLI11 options), canonical values, and a run's arguments.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/experiment_reading.h"
#include "src/train/convergence.h"
#include "src/train/train_options.h"

namespace actlab {

namespace {

// Options the harness sets itself; a file that sets them is rejected.
const std::set<std::string> kReservedOptions = {"out", "overwrite", "device", "threads"};

std::string dashed(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

}  // namespace

namespace experiment_reading {

TrainConfig parse_train_arguments(const std::vector<std::string>& arguments) {
  TrainConfig config;
  CLI::App app;
  add_train_options(app, config);
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11 wants reverse
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    throw Error(error.what());
  }
  return config;
}

void check_train_arguments(const std::vector<std::string>& arguments, bool resolve_all) {
  const TrainConfig config = parse_train_arguments(arguments);
  if (resolve_all) resolve(config);
}

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

bool is_reserved_option(const std::string& key) {
  return kReservedOptions.count(key) > 0;
}

}  // namespace experiment_reading

std::string canonical_option_value(const std::string& key, const std::string& value) {
  if (key == "activation") return canonical_activation_spec(value);
  try {
    size_t used = 0;
    const double number = std::stod(value, &used);
    if (used == value.size()) return format_number(number);
  } catch (const std::exception&) {
  }
  return value;
}

bool same_option_value(const std::string& key, const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    return canonical_option_value(key, a) == canonical_option_value(key, b);
  } catch (const Error&) {
    return false;
  }
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
