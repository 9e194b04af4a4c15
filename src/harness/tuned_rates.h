#pragma once

// A table of tuned values shared by the suite. Tuning is the expensive part of a claim, so each
// configuration (net, activation, batch norm, init, ...) is tuned once: a table is an
// experiment file with a [tune] stage only (`only = true`, experiments/tables/), its sweep's
// tune/choice.json beside the runs that chose them is the table, and a file with
// `[tune] from = "tables/tuned_rates.toml"` runs each configuration at the table's value for the
// configuration that trains like it.

#include <filesystem>
#include <map>
#include <string>

#include "src/harness/experiment.h"

namespace actlab {

// Where the table's sweep lies for E's sweep folder OUT: OUT's sibling, named as OUT is with the
// table's name in place of E's (results/standard/quickstart -> results/standard/tuned_rates,
// runs/quickstart-quick -> runs/tuned_rates-quick); a folder not named after E gets the
// table's default name (tuned_rates, tuned_rates-quick) beside it.
std::filesystem::path table_sweep_dir(const Experiment& e, const std::string& profile,
                                      const std::filesystem::path& out);

// What a run's tuned value depends on, as `actlab train` resolves the run (defaults filled,
// `init = auto` named, activation specs canonical): every option declared as shaping training
// (src/train/train_option_list.h: the Model and Optimisation groups but epochs, with
// input_preprocessing and augment) but the tuned option. Field -> value text.
std::map<std::string, std::string> tuning_signature(const RunSpec& run,
                                                    const std::string& tuned_option);

// Throws Error, before the table's sweep runs, when a configuration of E's grid (profile) has
// no configuration of the table that trains like it, or several.
void check_table_covers(const Experiment& e, const std::string& profile,
                        const std::filesystem::path& out);

// Per configuration of E's grid (profile), the value the table chose for its configuration of
// the same signature. With `write`, OUT/tune/choice.json records it with the table's
// configuration, measurements and run folders. Throws Error with the command to run when the
// table's sweep has not chosen yet, and with what to add to the table's grid when a
// configuration has no match there.
TuneChoice choose_from_table(const Experiment& e, const std::string& profile,
                             const std::filesystem::path& out, bool write);

// COPY (SWEEP/experiment.toml, a Slurm submission's copy), a copy of the file the sweep runs,
// and the table it reads at the same relative path beside it, so the copy loads on its own.
void write_experiment_copy(const Experiment& e, const std::filesystem::path& copy);

}  // namespace actlab
