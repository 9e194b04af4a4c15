#include <fmt/format.h>

#include "src/cli/commands.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/slurm.h"
#include "src/harness/sweep.h"
#include "src/harness/verdict.h"
#include "src/harness/verdicts_file.h"

namespace actlab::cli {

Action add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "run",
      "Run an experiment file: every configuration of its grid as its own `actlab train` process, "
      "N at a time, resuming where a killed sweep stopped; results in DIR/results.csv and "
      "results.db");
  struct Options {
    std::string file;
    SweepOptions sweep;
    std::string out;
    bool quick = false;
    std::string profile = "full";
    bool slurm = false, status = false;
    std::string sbatch_args;
    std::vector<std::string> sbatch_options;  // the words after `--`
  };
  auto options = std::make_shared<Options>();
  command->add_option("file", options->file, "experiment file (experiments/*.toml)")->required();
  command
      ->add_option("--profile", options->profile,
                   "quick (minutes, direction only) | standard (the claim at 2-CPU scale, 3 "
                   "seeds, <= ~30 min) | full (a GPU); each file states its budgets")
      ->capture_default_str();
  command->add_flag("--quick", options->quick, "the same as --profile quick");
  command->add_option("--jobs,-j", options->sweep.jobs, "runs at a time")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--device", options->sweep.device, "auto | cpu | cuda")
      ->capture_default_str();
  command->add_option("--out", options->out,
                      "sweep folder (default runs/<name>, runs/<name>-<profile>)");
  command->add_flag("--dry-run", options->sweep.dry_run, "list the runs and which are done");
  command->add_option("--only", options->sweep.only, "run only this run id (for job arrays)");
  command->add_flag("--rerun-stale-code", options->sweep.rerun_stale_code,
                    "also redo finished runs made by another commit of actlab (their "
                    "config.json's git_commit); without it they are kept and counted");
  command->add_option("--emit", options->sweep.emit,
                      "slurm: write an sbatch job-array script instead of running");
  auto* slurm = command->add_flag(
      "--slurm", options->slurm,
      "submit the runs not yet finished (nor queued) as one Slurm job array, plus a job that "
      "collects the results after it, and return; sbatch options go after `--`");
  command->add_option("--sbatch-args", options->sbatch_args,
                      "sbatch options for --slurm as one string, e.g. \"--partition=gpu "
                      "--gres=gpu:1\"");
  command->add_option("sbatch_options", options->sbatch_options,
                      "sbatch options for --slurm, after `--`");
  auto* status = command->add_flag(
      "--status", options->status,
      "print each run's state (finished, running, pending, failed, todo) and return");
  slurm->excludes("--dry-run")->excludes("--emit")->excludes("--only");
  status->excludes(slurm)->excludes("--dry-run")->excludes("--emit")->excludes("--only");
  return [options] {
    options->sweep.out = options->out;
    if (options->quick && options->profile != "full" && options->profile != "quick")
      throw Error("--quick and --profile " + options->profile + " contradict: give one of them");
    const std::string profile = options->quick ? "quick" : options->profile;
    options->sweep.profile = profile == "full" ? "" : profile;
    options->sweep.actlab_binary = std::filesystem::read_symlink("/proc/self/exe");
    auto sbatch_options = split_shell_words(options->sbatch_args);
    sbatch_options.insert(sbatch_options.end(), options->sbatch_options.begin(),
                          options->sbatch_options.end());
    if (!options->slurm && !sbatch_options.empty()) {
      throw Error(fmt::format("'{}' is an sbatch option, but --slurm is not given: add --slurm",
                              sbatch_options.front()));
    }
    const Experiment experiment = load_experiment(options->file);
    if (options->slurm) return submit_sweep_to_slurm(experiment, options->sweep, sbatch_options);
    if (options->status) return print_sweep_status(experiment, options->sweep);
    if (options->sweep.emit == "slurm") return emit_slurm_script(experiment, options->sweep);
    return run_sweep(experiment, options->sweep);
  };
}

Action add_collect_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "collect", "Rebuild DIR/results.csv and DIR/results.db from the run folders of a sweep");
  auto dir = std::make_shared<std::string>();
  command->add_option("dir", *dir, "sweep folder")->required()->check(CLI::ExistingDirectory);
  return [dir] {
    const auto results = load_results(*dir);
    write_results(*dir, results);
    fmt::print("collected {} runs into {}/results.csv and {}/results.db\n", results.size(), *dir,
               *dir);
    for (const auto& run : results) {
      if (!run.damage.empty()) {
        fmt::print("damaged run {} (its `damage` column; verdicts and reports list it apart): {}\n",
                   run.id, join(run.damage, "; "));
      }
    }
    return 0;
  };
}

Action add_compare_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "compare", "Print mean ± spread over runs (seeds) of convergence figures, grouped by axes");
  struct Options {
    std::string dir;
    std::string by;  // default: the sweep's grid axes except seed
    std::string metrics = "train_error_0.25_epoch,best_test_error,final_test_error,train_error_auc";
  };
  auto options = std::make_shared<Options>();
  command->add_option("dir", options->dir, "sweep folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("--by", options->by,
                      "columns to group by, comma-separated (default: the sweep's grid axes "
                      "except seed, so no group averages two values of an axis)");
  command
      ->add_option("--metric,--metrics", options->metrics,
                   "columns to summarise, comma-separated (see results.csv)")
      ->capture_default_str();
  return [options] {
    auto results = load_results(options->dir);
    if (results.empty()) {
      throw Error(fmt::format(
          "'{}' holds no runs (no runs/*/config.json): run `actlab run FILE --out {}` first",
          options->dir, options->dir));
    }
    const RunSet runs = classify_runs(options->dir, std::move(results));
    std::vector<std::string> by = split(options->by, ',');
    if (by.empty()) {
      for (const auto& run : runs.finished) {
        if (!run.run.contains("axes") || !run.run["axes"].is_object()) continue;
        for (auto it = run.run["axes"].begin(); it != run.run["axes"].end(); ++it) {
          if (it.key() != "seed" && std::find(by.begin(), by.end(), it.key()) == by.end())
            by.push_back(it.key());
        }
      }
      if (by.empty()) by = {"activation", "batch_norm"};
    }
    fmt::print("{}", compare_table(runs, by, split(options->metrics, ',')));
    return 0;
  };
}

Action add_verdict_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "verdict",
      "Evaluate an experiment's declared verdicts over a sweep's finished runs: every seed's "
      "value, the effect with its 95% interval (t, or an exact test for rates and censored "
      "targets), Holm-adjusted p, and HOLDS / FAILS / INCONCLUSIVE / NOT TRAINED / NO DATA; "
      "writes DIR/verdicts.json (what the report and RESULTS.md show)");
  struct Options {
    std::string dir;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  command->add_option("dir", options->dir, "sweep folder (holds experiment.toml and runs/)")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_flag("--json", options->json, "print verdicts.json instead of the table");
  return [options] {
    const std::filesystem::path dir = options->dir;
    if (!std::filesystem::exists(dir / "experiment.toml")) {
      throw Error(
          fmt::format("'{}' has no experiment.toml: give a sweep folder made by `actlab "
                      "run` (e.g. runs/quickstart-quick)",
                      options->dir));
    }
    const Experiment experiment = load_experiment(dir / "experiment.toml");
    const RunSet runs = classify_runs(dir, load_results(dir));
    const auto verdicts = write_verdicts(dir, experiment, runs);
    if (options->json) {
      fmt::print("{}", read_file(dir / "verdicts.json"));
      return 0;
    }
    fmt::print("{}: {} finished runs of the current grid", experiment.name, runs.finished.size());
    if (!runs.diverged.empty() || !runs.apart.empty())
      fmt::print("; not averaged: {} diverged, {} other", runs.diverged.size(), runs.apart.size());
    fmt::print("\n\n{}",
               verdicts.empty() ? "(the file declares no [[verdict]])\n" : verdict_table(verdicts));
    const std::string apart = apart_listing(runs);
    if (!apart.empty()) fmt::print("\nNot averaged:\n{}", apart);
    return 0;
  };
}

}  // namespace actlab::cli
