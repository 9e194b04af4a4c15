#pragma once

// Pieces of experiment-file reading shared by the files that read one (experiment.cpp: tables,
// options, grids, profiles, [tune]; experiment_options.cpp: the bridge to `actlab train`;
// experiment_checks.cpp: checks across tables; experiment_grid.cpp: runs and their ids;
// verdict_spec.cpp: [[verdict]] tables; tuning.cpp); not for use outside the harness.

#include <toml++/toml.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "src/harness/experiment.h"
#include "src/train/config.h"

namespace actlab::experiment_reading {

int line_of(const toml::node& node);

// Throws Error "FILE:LINE: message".
[[noreturn]] void fail(const Experiment& e, int line, const std::string& message);

// A TOML scalar as option text ("0.01", "true", "relu").
std::string value_text(const Experiment& e, const toml::node& node, const std::string& key);

// A table's string-or-scalar values as (key, value text) pairs, canonical; with
// allow_arm_labels an arm axis's label counts as a key too.
std::vector<std::pair<std::string, std::string>> filter_of(const Experiment& e,
                                                           const toml::table& table,
                                                           const std::string& where,
                                                           bool allow_arm_labels = false);

// Every value each option (or arm axis) takes somewhere in the file, canonical.
std::map<std::string, std::set<std::string>> values_taken(const Experiment& e);

// Sets run.options and run.id (PREFIX, the run's axes and a hash of every option: stable across
// sweeps) and checks the options as `actlab train` would (Error "FILE:LINE: run ID: problem").
// Shared by the grid's expansion and the tuning stages (tuning.cpp).
void finish_run(const Experiment& e, RunSpec& run,
                const std::map<std::string, std::string>& options, int line,
                const std::string& prefix = "");

// `arguments` parsed into a fresh TrainConfig by the real `actlab train` options, unresolved.
TrainConfig parse_train_arguments(const std::vector<std::string>& arguments);

// Parses `arguments` into a fresh TrainConfig with the real `actlab train` options and, with
// `resolve_all`, resolves it: exactly what the child process will do, minus loading data.
void check_train_arguments(const std::vector<std::string>& arguments, bool resolve_all = true);

// One option on its own: its type, and names that registries must know. Whether options fit
// together (a depth for a fixed-depth model) is checked per run in expand().
void check_single_option(const std::string& key, const std::string& value);

// Every `actlab train` option, with underscores, but those `actlab run` sets itself.
std::vector<std::string> known_options();

// Whether `actlab run` sets the option itself (out, overwrite, device, threads): a file may not.
bool is_reserved_option(const std::string& key);

// A grid whose axis lists a value twice would launch the same run twice at once.
void check_distinct_values(const Experiment& e, const Axis& axis, const std::string& table);

// Every `when` of an override must name an option the sweep sets and a value it can take, so a
// typo or a spec written differently ("leaky_relu" for "leaky_relu:slope=0.2") cannot silently
// match nothing.
void check_overrides(const Experiment& e);

// With [tune] neighbours = true, "next to the choice" is the list's order: numbers must run one
// way (text values, e.g. activation specs, keep the order they are written in).
void check_ordered(const Experiment& e, const std::vector<OptionValue>& values, int line,
                   const std::string& table);

// [tune] from = "TABLE" (tuned_rates.cpp): loads the table file (relative to this file), which
// must be a table of its own (`only = true`, no `from`), and takes its option, metric and
// candidates; `tune` holds what read_tune already read (neighbours). Only `from` and
// `neighbours` may stand beside it.
Tune read_tune_from(const Experiment& e, const toml::table& table, Tune tune);

// One [[verdict]] table (verdict_spec.cpp).
VerdictSpec read_verdict(const Experiment& e, const toml::node& node);

// Refuses verdicts whose groups or `per` columns match no run of the file (verdict_spec.cpp).
void check_verdicts(const Experiment& e);

}  // namespace actlab::experiment_reading
