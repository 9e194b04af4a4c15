#include "src/harness/tuned_rates.h"

#include <fmt/format.h>

#include <set>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "src/activations/activation.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment_reading.h"
#include "src/harness/tuning.h"
#include "src/records/run_folder.h"
#include "src/train/train_option_list.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// One configuration of the table: its signature and the tuning runs that measured it.
struct TableConfiguration {
  std::map<std::string, std::string> signature;
  std::vector<std::string> runs;
};

// "activation = gelu (table: relu), batch_norm = true (table: false)".
std::string differences(const std::map<std::string, std::string>& run,
                        const std::map<std::string, std::string>& table) {
  std::vector<std::string> parts;
  for (const auto& [field, value] : run) {
    const auto found = table.find(field);
    if (found != table.end() && found->second != value)
      parts.push_back(fmt::format("{} = {} (table: {})", field, value, found->second));
  }
  return join(parts);
}

std::string run_command(const Experiment& table, const std::string& profile, const fs::path& dir) {
  return fmt::format("actlab run {}{} --out {}", table.file.string(),
                     profile.empty() ? "" : " --profile " + profile, dir.string());
}

}  // namespace

namespace experiment_reading {

Tune read_tune_from(const Experiment& e, const toml::table& table, Tune tune) {
  const auto* from = table.get("from");
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (k != "from" && k != "neighbours") {
      fail(e, line_of(node),
           fmt::format("[tune] from = ... takes the table's {0}: remove '{0}' here (beside "
                       "from, only neighbours may stand)",
                       k));
    }
  }
  if (!from->is_string())
    fail(e, line_of(*from), "[tune] from must be a path, e.g. \"tables/tuned_rates.toml\"");
  tune.from = *from->value<std::string>();
  // The sweep copies the table beside its copy of this file (write_experiment_copy): a path
  // that leaves this file's folder could not be copied so.
  if (tune.from.is_absolute() || tune.from.lexically_normal().string().rfind("..", 0) == 0) {
    fail(e, line_of(*from),
         fmt::format("[tune] from = \"{}\" must lie in this file's folder or below it (e.g. "
                     "\"tables/tuned_rates.toml\")",
                     tune.from.string()));
  }
  const fs::path file = e.file.parent_path() / tune.from;
  if (!fs::exists(file)) {
    fail(e, line_of(*from),
         fmt::format("[tune] from = \"{}\": no such file ({})", tune.from.string(), file.string()));
  }
  auto loaded = std::make_shared<Experiment>(load_experiment(file));
  if (!loaded->tune || !loaded->tune->only || loaded->tune->table) {
    fail(e, line_of(*from),
         fmt::format("[tune] from = \"{}\" is no table: a table has [tune] with its own values "
                     "and only = true",
                     tune.from.string()));
  }
  tune.option = loaded->tune->option;
  tune.metric = loaded->tune->metric;
  tune.values = loaded->tune->values;
  tune.table = std::move(loaded);
  return tune;
}

}  // namespace experiment_reading

fs::path table_sweep_dir(const Experiment& e, const std::string& profile, const fs::path& out) {
  const Experiment& table = *e.tune->table;
  const fs::path folder = out.filename().empty() ? out.parent_path() : out;
  const std::string name = folder.filename().string();
  if (name.rfind(e.name, 0) == 0)
    return folder.parent_path() / (table.name + name.substr(e.name.size()));
  return folder.parent_path() / (table.name + (profile.empty() ? "" : "-" + profile));
}

std::map<std::string, std::string> tuning_signature(const RunSpec& run,
                                                    const std::string& tuned_option) {
  TrainConfig config = resolve(experiment_reading::parse_train_arguments(train_arguments(run)));
  const nlohmann::json record = to_json(config);
  std::map<std::string, std::string> signature;
  for_each_train_option(config, [&](const TrainOption& option, const auto&) {
    if (!option.shapes_training || !option.recorded || option.field == tuned_option) return;
    const auto& value = record.at(option.field);
    signature[option.field] = value.is_string()
                                  ? canonical_option_value(option.field, value.get<std::string>())
                                  : value.dump();
  });
  // A schedule other than constant is a function of the run's length: then epochs shape it too.
  if (record.value("schedule", "constant") != "constant")
    signature["epochs"] = record.at("epochs").dump();
  // `init = auto` is the activation's own default (He for ReLU, Glorot for tanh): name it, so a
  // file that writes the default out matches one that leaves it auto.
  auto init = signature.find("init");
  const auto stds = record.find("init_stds");
  if (init != signature.end() && init->second == "auto" &&
      (stds == record.end() || stds->empty())) {
    const Spec activation = parse_spec(signature.at("activation"), "activation");
    init->second = activation_registry().get(activation.name).default_init;
  }
  return signature;
}

namespace {

uint64_t seed_of(const RunSpec& run) {
  return resolve(experiment_reading::parse_train_arguments(train_arguments(run))).seed;
}

// E's configurations (configuration key -> the table's configuration key and entry), matched
// on their signatures; throws Error for a configuration with no match or with several.
using Matches = std::map<std::string, const std::pair<const std::string, TableConfiguration>*>;
Matches match_configurations(const Experiment& e, const std::string& profile, const fs::path& dir,
                             const std::map<std::string, TableConfiguration>& configurations) {
  const Experiment& table = *e.tune->table;
  const std::string& option = e.tune->option;
  std::set<uint64_t> tuning_seeds;
  for (const auto& run : tuning_runs(table, profile)) tuning_seeds.insert(seed_of(run));
  Matches matches;
  for (const auto& run : expand(e, profile)) {
    // A seed the table tuned on would repeat its winning tuning run's first epochs in the
    // reader: the winner's luck (the noise the choice selected for) would count as a result.
    if (const uint64_t seed = seed_of(run); tuning_seeds.count(seed)) {
      throw Error(fmt::format(
          "{}: run {} uses seed {}, the seed {} tuned its rates on: a rate chosen on a seed's "
          "luck would be judged on the same luck; give this file seeds the table does not use",
          e.file.string(), run.id, seed, table.file.string()));
    }
    const std::string key = configuration_key(run, option);
    if (run.fixes_tuned_option || matches.count(key)) continue;
    const auto signature = tuning_signature(run, option);
    std::vector<const std::pair<const std::string, TableConfiguration>*> equal;
    const std::pair<const std::string, TableConfiguration>* nearest = nullptr;
    size_t fewest = SIZE_MAX;
    for (const auto& entry : configurations) {
      size_t differ = 0;
      for (const auto& [field, value] : signature) {
        const auto found = entry.second.signature.find(field);
        differ += found == entry.second.signature.end() || found->second != value;
      }
      if (differ == 0) equal.push_back(&entry);
      if (differ < fewest) fewest = differ, nearest = &entry;
    }
    const std::string name = key.empty() ? "of the file" : key;
    if (equal.size() > 1) {
      std::vector<std::string> keys;
      for (const auto* entry : equal) keys.push_back(entry->first);
      throw Error(fmt::format(
          "{}: the configuration {} trains like several of {}'s ({}), whose grid then varies an "
          "option that does not shape training: make its configurations differ in what does",
          e.file.string(), name, table.file.string(), join(keys, "; ")));
    }
    if (equal.empty()) {
      throw Error(fmt::format(
          "{}: the configuration {} has no tuned {} in {}{}: add it to that table's grid and "
          "run `{}`",
          e.file.string(), name, option, table.file.string(),
          nearest ? fmt::format(" (nearest: {}, which differs in {})", nearest->first,
                                differences(signature, nearest->second.signature))
                  : "",
          run_command(table, profile, dir)));
    }
    matches[key] = equal.front();
  }
  return matches;
}

std::map<std::string, TableConfiguration> table_configurations(const Experiment& e,
                                                               const std::string& profile,
                                                               const fs::path& dir) {
  std::map<std::string, TableConfiguration> configurations;
  for (const auto& run : tuning_runs(*e.tune->table, profile)) {
    auto& configuration = configurations[configuration_key(run, e.tune->option)];
    if (configuration.runs.empty()) configuration.signature = tuning_signature(run, e.tune->option);
    configuration.runs.push_back((dir / "tune" / "runs" / run.id).string());
  }
  return configurations;
}

}  // namespace

void check_table_covers(const Experiment& e, const std::string& profile, const fs::path& out) {
  const fs::path dir = table_sweep_dir(e, profile, out);
  match_configurations(e, profile, dir, table_configurations(e, profile, dir));
}

TuneChoice choose_from_table(const Experiment& e, const std::string& profile, const fs::path& out,
                             bool write) {
  const Experiment& table = *e.tune->table;
  const std::string& option = e.tune->option;
  const fs::path dir = table_sweep_dir(e, profile, out);
  const auto configurations = table_configurations(e, profile, dir);
  const Matches matches = match_configurations(e, profile, dir, configurations);
  const nlohmann::json chosen = read_json_or_empty(dir / "tune" / "choice.json");
  if (!chosen.contains("choices")) {
    throw Error(
        fmt::format("{} reads its {} from the table {}, whose sweep {} has not chosen yet (no "
                    "tune/choice.json): run `{}` first",
                    e.file.string(), option, table.file.string(), dir.string(),
                    run_command(table, profile, dir)));
  }
  TuneChoice choice;
  nlohmann::json record = {{"option", option},
                           {"metric", e.tune->metric},
                           {"rule", "the table's choice for the configuration of equal signature"},
                           {"from", (e.file.parent_path() / e.tune->from).string()},
                           {"table_sweep", dir.string()},
                           {"choices", nlohmann::json::object()}};
  for (const auto& [key, match] : matches) {
    const auto& entry = chosen["choices"].find(match->first);
    if (entry == chosen["choices"].end() || !entry->contains("value")) {
      throw Error(fmt::format("{} has no choice for {} yet: run `{}` to tune it",
                              (dir / "tune" / "choice.json").string(), match->first,
                              run_command(table, profile, dir)));
    }
    choice[key] = (*entry)["value"].get<std::string>();
    record["choices"][key] = {{"value", choice[key]},
                              {"table_configuration", match->first},
                              {"measured", entry->value("measured", nlohmann::json::object())},
                              {"runs", match->second.runs}};
    if (entry->value("none_trained", false)) record["choices"][key]["none_trained"] = true;
  }
  if (write) {
    fs::create_directories(out / "tune");
    write_file_atomic(out / "tune" / "choice.json", record.dump(2) + "\n");
  }
  return choice;
}

void write_experiment_copy(const Experiment& e, const fs::path& copy) {
  write_file_atomic(copy, read_file(e.file));
  if (e.tune && e.tune->table) {
    fs::create_directories((copy.parent_path() / e.tune->from).parent_path());
    write_file_atomic(copy.parent_path() / e.tune->from,
                      read_file(e.file.parent_path() / e.tune->from));
  }
}

}  // namespace actlab
