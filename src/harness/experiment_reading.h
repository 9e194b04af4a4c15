#pragma once

// Pieces of experiment-file reading shared by experiment.cpp (options, grids, profiles) and
// verdict_spec.cpp ([[verdict]] tables) and tuning.cpp; not for use outside the harness.

#include <toml++/toml.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "src/harness/experiment.h"

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

// One [[verdict]] table (verdict_spec.cpp).
VerdictSpec read_verdict(const Experiment& e, const toml::node& node);

// Refuses verdicts whose groups or `per` columns match no run of the file (verdict_spec.cpp).
void check_verdicts(const Experiment& e);

}  // namespace actlab::experiment_reading
