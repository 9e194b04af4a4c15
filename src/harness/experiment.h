#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace actlab {

// One `actlab train` option as written in an experiment file (`batch_norm = true` is
// --batch-norm=true), with the line it came from for error messages.
struct OptionValue {
  std::string key;    // option name with underscores, as in config.json
  std::string value;  // TOML value as text ("0.01", "true", "relu")
  int line = 0;
};

struct Axis {
  std::string key;
  std::vector<OptionValue> values;
  int line = 0;
};

// When every `when` option of a run has the given value, `set` applies (e.g. a learning rate
// per activation).
struct Override {
  std::vector<std::pair<std::string, std::string>> when;
  std::vector<OptionValue> set;
  int line = 0;
};

// A declarative sweep: experiments/README.md documents the format.
struct Experiment {
  std::filesystem::path file;
  std::string name;
  std::string claim;
  std::string source;
  std::string regime;
  std::vector<OptionValue> base;
  std::vector<Axis> grid;
  std::vector<Override> overrides;
  std::vector<std::string> targets;  // METRIC=VALUE
  std::vector<OptionValue> quick;    // [quick]: option overrides for --quick
  std::vector<Axis> quick_grid;      // [quick.grid]: axes that replace the grid's for --quick
};

// One configuration of the sweep.
struct RunSpec {
  std::string id;  // folder name: grid values + a hash of every option, stable across runs
  std::vector<std::pair<std::string, std::string>> axes;     // this run's grid values
  std::vector<std::pair<std::string, std::string>> options;  // every option, sorted by key
  int line = 0;  // the grid's line, for errors about the combination
};

// Reads and checks an experiment file. Throws Error "FILE:LINE: problem: fix" for a syntax
// error, an unknown key or option, or a value `actlab train` would reject.
Experiment load_experiment(const std::filesystem::path& file);

// The grid's product with base options, quick overrides (when `quick`) and per-value overrides
// applied, in grid order (the first axis varies slowest). Each run is validated as
// `actlab train` would; a bad combination throws Error naming the file, the grid line and the run.
std::vector<RunSpec> expand(const Experiment& experiment, bool quick);

// The run's options as `actlab train` arguments: {"--batch-norm=true", "--lr=0.1", ...}.
std::vector<std::string> train_arguments(const RunSpec& run);

}  // namespace actlab
