#include <fmt/format.h>

#include "src/cli/commands.h"
#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/sweep.h"

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
  };
  auto options = std::make_shared<Options>();
  command->add_option("file", options->file, "experiment file (experiments/*.toml)")->required();
  command->add_flag("--quick", options->sweep.quick,
                    "use the file's quick profile (2 CPU cores, ~5 minutes)");
  command->add_option("--jobs,-j", options->sweep.jobs, "runs at a time")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--device", options->sweep.device, "auto | cpu | cuda")
      ->capture_default_str();
  command->add_option("--out", options->out,
                      "sweep folder (default runs/<name>, runs/<name>-quick)");
  command->add_flag("--dry-run", options->sweep.dry_run, "list the runs and which are done");
  command->add_option("--only", options->sweep.only, "run only this run id (for job arrays)");
  command->add_option("--emit", options->sweep.emit,
                      "slurm: write an sbatch job-array script instead of running");
  return [options] {
    options->sweep.out = options->out;
    options->sweep.actlab_binary = std::filesystem::read_symlink("/proc/self/exe");
    return run_sweep(load_experiment(options->file), options->sweep);
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
    return 0;
  };
}

Action add_compare_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "compare", "Print mean ± spread over runs (seeds) of convergence figures, grouped by axes");
  struct Options {
    std::string dir;
    std::string by = "activation,batch_norm";
    std::string metrics = "train_error_0.25_epoch,best_test_error,final_test_error,train_error_auc";
  };
  auto options = std::make_shared<Options>();
  command->add_option("dir", options->dir, "sweep folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("--by", options->by, "columns to group by, comma-separated")
      ->capture_default_str();
  command
      ->add_option("--metric,--metrics", options->metrics,
                   "columns to summarise, comma-separated (see results.csv)")
      ->capture_default_str();
  return [options] {
    const auto results = load_results(options->dir);
    if (results.empty()) {
      throw Error(fmt::format(
          "'{}' holds no runs (no runs/*/config.json): run `actlab run FILE --out {}` first",
          options->dir, options->dir));
    }
    fmt::print("{}", compare_table(results, split(options->by, ','), split(options->metrics, ',')));
    return 0;
  };
}

}  // namespace actlab::cli
