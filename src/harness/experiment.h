#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
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

// A grid axis: one option's values (`lr = [0.01, 0.1]`), or arms that each set several options
// (`arm = [{ label = "sigmoid-x4", activation = "sigmoid", init = "xavier:gain=4" }, ...]`, for
// controls that are not a product). For arms, `values` hold the labels and `arms` the options.
struct Axis {
  std::string key;
  std::vector<OptionValue> values;
  std::vector<std::vector<OptionValue>> arms;  // parallel to values; empty for an option axis
  int line = 0;
};

// When every `when` option of a run has the given value, `set` applies (e.g. a learning rate
// per activation).
struct Override {
  std::vector<std::pair<std::string, std::string>> when;
  std::vector<OptionValue> set;
  int line = 0;
};

// A named size of the sweep ([quick], [standard]): option overrides, axes that replace the
// grid's, and the budget it is sized for (a sentence, e.g. "about 25 minutes on 2 CPU cores").
struct Profile {
  std::vector<OptionValue> options;
  std::vector<Axis> grid;
  std::string budget;
  // [quick.tune]: this profile's candidates (`values`) and tuning-run options ([quick.tune.set])
  // for the file's [tune] stage, e.g. 1-epoch tuning where the full profile tunes on 3; the
  // option and metric stay the file's. Unset = the file's.
  std::optional<std::vector<OptionValue>> tune_values;
  std::optional<std::vector<OptionValue>> tune_set;
};

// One declared verdict ([[verdict]]): the claim in a sentence, the metric (a results column or a
// layer expression, see run_metric), the two groups compared (filters on config values), and the
// expected relation of the effect: "ratio >= 1.5" (a / b), "difference > 0" (a - b): a test of
// superiority; or "ratio between 0.8 and 1.25": a test of equivalence (two one-sided tests).
// `per` repeats the verdict for each value of those columns. experiments/README.md says which
// test each kind of verdict gets.
struct Experiment;

struct VerdictSpec {
  std::string says;
  std::string metric;
  // b's metric where it differs from a's ("" = metric): what training changed in the same runs
  // ("X.mean.final" against "X.mean.init", a = b), judged paired by seed.
  std::string metric_b;
  std::vector<std::pair<std::string, std::string>> a, b;
  std::string effect;    // "ratio" | "difference"
  std::string relation;  // ">", ">=", "<", "<=", "between" (threshold .. upper, both included)
  double threshold = 0;
  double upper = 0;
  std::vector<std::string> per;
  std::vector<std::string> pool;   // axes a group may pool over (a rate over a grid only)
  bool include_diverged = false;   // count diverged runs (implied for rates)
  std::string pairing = "auto";    // "auto" (by seed when both groups have the same seeds),
                                   // "seed" (required), "none"
  std::string interval = "t";      // "t" | "bootstrap" (only with >= 10 runs a group)
  bool expects_untrained = false;  // the claim is that a group does not train: exempt from the
                                   // "did not train" outcome
  int line = 0;
};

// [tune]: a stage before the grid that picks, for every configuration (the grid's values except
// seed), the value of one option (e.g. lr) whose short runs do best: "learning rates for each
// network were chosen independently" (Krizhevsky et al. 2012), then seeds run at that value.
struct Tune {
  std::string option;               // the option tuned, e.g. "lr"
  std::vector<OptionValue> values;  // its candidates
  std::string metric;               // lower is better (see run_metric); diverged runs lose
  std::vector<OptionValue> set;     // options of the tuning runs ([tune.set]: epochs = 3, ...)
  // After the grid, run the first seed of each configuration at the candidates next to the
  // chosen one (how the answer moves with the rate: tuning.h, neighbour_runs).
  bool neighbours = false;
  // A table of tuned values (experiments/tables/): the tuning runs and their choices, no grid
  // runs after them (`only = true`).
  bool only = false;
  // `from = "tables/tuned_rates.toml"`: this file tunes nothing itself and reads each
  // configuration's value from that table's sweep (tuned_rates.h); option, values and metric are
  // the table's. Tuning is the expensive part, so each configuration is tuned once for the suite.
  std::filesystem::path from;
  std::shared_ptr<const Experiment> table;
  int line = 0;
};

// Per configuration key (see configuration_key), the tuned option's chosen value.
using TuneChoice = std::map<std::string, std::string>;

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
  std::vector<std::string> targets;         // METRIC=VALUE
  std::string control;                      // what isolates the claimed factor from confounders
  std::string budget;                       // the full profile's budget
  std::map<std::string, Profile> profiles;  // "quick", "standard"
  std::vector<VerdictSpec> verdicts;
  // A run trained when its final training error is below this (chance is 0.9 on CIFAR-10): a
  // speed or accuracy verdict over a group with a run at or above it is NOT TRAINED.
  double trained_below = 0.85;
  std::optional<Tune> tune;
};

// The profiles a file may declare besides the full one ("" = full).
const std::vector<std::string>& profile_names();

// One configuration of the sweep.
struct RunSpec {
  std::string id;  // folder name: grid values + a hash of every option, stable across runs
  std::vector<std::pair<std::string, std::string>> axes;     // this run's grid values
  std::vector<std::pair<std::string, std::string>> options;  // every option, sorted by key
  int line = 0;  // the grid's line, for errors about the combination
  // The grid (an axis or an arm) sets the [tune] option itself: the run keeps that value and
  // is not tuned (a control at a fixed rate beside runs at their tuned rates).
  bool fixes_tuned_option = false;
};

// Reads and checks an experiment file. Throws Error "FILE:LINE: problem: fix" for a syntax
// error, an unknown key or option, or a value `actlab train` would reject.
Experiment load_experiment(const std::filesystem::path& file);

// The grid's product with base options, the profile's overrides ("" = full, "quick",
// "standard") and per-value overrides applied, in grid order (the first axis varies slowest).
// Each run is validated as `actlab train` would; a bad combination throws Error naming the file,
// the grid line and the run. A profile the file does not declare throws Error.
// With a [tune] stage, `choice` sets the tuned option of each run (runs whose configuration has
// no choice keep the file's value: what --dry-run lists before tuning).
std::vector<RunSpec> expand(const Experiment& experiment, const std::string& profile = "",
                            const TuneChoice* choice = nullptr);

// "activation=relu,init=auto": a run's grid values except seed (and except the tuned option).
std::string configuration_key(const RunSpec& run, const std::string& tuned_option = "");

// Two option values mean the same ("leaky_relu" = "leaky_relu:slope=0.01", "0.10" = "0.1").
bool same_option_value(const std::string& key, const std::string& a, const std::string& b);

// The canonical text of an option value (activation specs completed, numbers normalised).
std::string canonical_option_value(const std::string& key, const std::string& value);

// The run's options as `actlab train` arguments: {"--batch-norm=true", "--lr=0.1", ...}.
std::vector<std::string> train_arguments(const RunSpec& run);

}  // namespace actlab
