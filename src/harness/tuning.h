#pragma once

// The [tune] stage of an experiment (experiments/README.md, "Tuning"): its runs, the choice it
// makes, and the runs that show how the answer moves next to that choice.

#include <filesystem>
#include <string>
#include <vector>

#include "src/harness/experiment.h"

namespace actlab {

// The tuning stage's runs: per configuration of the grid (first seed), one run per candidate
// value, with [tune.set] (or the profile's [P.tune.set]) applied. Their axes are the
// configuration's plus the tuned option.
std::vector<RunSpec> tuning_runs(const Experiment& experiment, const std::string& profile = "");

// The choice: per configuration, the candidate with the lowest metric among the completed
// tuning runs in TUNE_DIR/runs (diverged runs lose); written to TUNE_DIR/choice.json. Throws
// Error when a tuning run has not finished or no candidate trained.
TuneChoice choose_tuned_values(const Experiment& experiment, const std::filesystem::path& tune_dir,
                               const std::vector<RunSpec>& tuning);

// One line per configuration of TUNE_DIR/choice.json whose candidates all stayed at chance
// (final training error at or above the file's trained_below): its choice is noise.
std::vector<std::string> none_trained(const Experiment& experiment,
                                      const std::filesystem::path& tune_dir);

// What a sweep says of its choices: "tuned KEY: lr = V" per configuration ("(from TABLE)" for a
// file that reads a table), then "warning: ..." lines: a choice at an end of the candidates (own
// tuning only) and configurations whose candidates all stayed at chance.
std::vector<std::string> describe_choices(const Experiment& experiment, const std::string& profile,
                                          const TuneChoice& choice,
                                          const std::filesystem::path& tune_dir);

// Throws Error when E is a table ([tune] only): it has no grid runs for `what` (--only, a Slurm
// array) to run.
void refuse_grid_of_table(const Experiment& e, const std::string& what);

// Throws Error when E's [tune] stage has not run (CHOICE empty) and a run of PROFILE's grid needs
// its value; `then` says what to do, e.g. "run `actlab run FILE` without --only first". A grid
// whose runs all fix the tuned option (arms at fixed rates) needs no choice.
void require_tune_choice(const Experiment& e, const std::string& profile, const TuneChoice& choice,
                         const std::filesystem::path& sweep, const std::string& then);

// SWEEP/tune/choice.json as a TuneChoice (empty when absent).
TuneChoice read_tune_choice(const std::filesystem::path& sweep);

// One line per configuration whose choice is the first or last candidate: the optimum may lie
// beyond the list ("a tuned rate at an end of its grid means the grid is wrong"), e.g.
// "activation=relu: lr = 0.3 is the last of [tune] values in FILE: widen the list".
std::vector<std::string> choices_at_an_end(const Experiment& experiment, const std::string& profile,
                                           const TuneChoice& choice);

// With [tune] neighbours = true: per configuration, its grid run of the first seed repeated at
// each candidate next to the chosen one in the file's list (one below, one above; one only at
// an end of the list), with the run's full options (not [tune.set]). Their axes are the run's
// plus the tuned option. Krizhevsky et al. tuned each net for speed; the ratio at the
// neighbouring rates says whether the answer rests on the exact rate picked.
std::vector<RunSpec> neighbour_runs(const Experiment& experiment, const std::string& profile,
                                    const TuneChoice& choice);

}  // namespace actlab
