#include <signal.h>
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/slurm.h"
#include "src/harness/sweep.h"
#include "src/harness/tuning.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;

namespace {

std::filesystem::path write_experiment(const TempDir& dir, const std::string& text) {
  const auto path = dir / "experiment.toml";
  std::ofstream(path) << text;
  return path;
}

const char* kSmall = R"(name = "small"
claim = "A test sweep."
[base]
model = "krizhevsky4"
epochs = 1
lr = 0.01
[grid]
activation = ["relu", "sigmoid"]
seed = [0, 1, 2]
[[override]]
when = { activation = "sigmoid" }
set = { lr = 0.1 }
[targets]
train_error = 0.8
[quick]
epochs = 2
[quick.grid]
seed = [5]
)";

int64_t count_rows(const std::filesystem::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const int64_t count = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

}  // namespace

TEST_CASE("the grid expands to its product with overrides and quick profile", "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_experiment(dir, kSmall));
  CHECK(experiment.name == "small");
  const auto runs = expand(experiment);
  REQUIRE(runs.size() == 6);
  CHECK(runs[0].axes ==
        std::vector<std::pair<std::string, std::string>>{{"activation", "relu"}, {"seed", "0"}});
  CHECK(runs[5].axes ==
        std::vector<std::pair<std::string, std::string>>{{"activation", "sigmoid"}, {"seed", "2"}});
  const auto arguments = train_arguments(runs[4]);
  CHECK(std::count(arguments.begin(), arguments.end(), "--lr=0.1") == 1);  // sigmoid's override
  CHECK(std::count(arguments.begin(), arguments.end(), "--target=train_error=0.8") == 1);
  const auto relu_arguments = train_arguments(runs[0]);
  CHECK(std::count(relu_arguments.begin(), relu_arguments.end(), "--lr=0.01") == 1);

  const auto quick = expand(experiment, "quick");
  REQUIRE(quick.size() == 2);
  const auto quick_arguments = train_arguments(quick[0]);
  CHECK(std::count(quick_arguments.begin(), quick_arguments.end(), "--epochs=2") == 1);
  CHECK(std::count(quick_arguments.begin(), quick_arguments.end(), "--seed=5") == 1);
}

TEST_CASE("run ids are stable, distinct and name the grid values", "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_experiment(dir, kSmall));
  const auto first = expand(experiment);
  const auto again = expand(load_experiment(experiment.file));
  std::set<std::string> ids;
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].id == again[i].id);
    ids.insert(first[i].id);
  }
  CHECK(ids.size() == first.size());
  CHECK_THAT(first[0].id, Catch::StartsWith("activation-relu_seed-0_"));
  // Quick runs are different configurations, so they never share folders with full ones.
  CHECK(expand(experiment, "quick")[0].id != first[0].id);
}

TEST_CASE("experiment file errors name the file, the line and the fix", "[unit][harness]") {
  TempDir dir;
  const auto path_of = [&](const std::string& text) { return write_experiment(dir, text); };
  CHECK_THROWS_WITH(load_experiment(path_of("name = \"x\"\nclaim = \"y\"\n[grid\nseed = [1]\n")),
                    Catch::Contains("experiment.toml:3:") && Catch::Contains("syntax error"));
  CHECK_THROWS_WITH(
      load_experiment(path_of("name = \"x\"\nclaim = \"y\"\ncolour = 3\n")),
      Catch::Contains("experiment.toml:3:") && Catch::Contains("unknown key 'colour'"));
  CHECK_THROWS_WITH(
      load_experiment(path_of("name = \"x\"\nclaim = \"y\"\n[base]\nlearning_rate = 0.1\n")),
      Catch::Contains("experiment.toml:4:") && Catch::Contains("unknown option 'learning_rate'"));
  CHECK_THROWS_WITH(
      load_experiment(
          path_of("name = \"x\"\nclaim = \"y\"\n[grid]\nactivation = [\"relu\",\n  \"swishy\"]\n")),
      Catch::Contains("experiment.toml:5:") && Catch::Contains("unknown activation 'swishy'"));
  CHECK_THROWS_WITH(
      load_experiment(path_of("name = \"x\"\nclaim = \"y\"\n[base]\nout = \"elsewhere\"\n")),
      Catch::Contains("set by `actlab run` itself"));
  CHECK_THROWS_WITH(
      load_experiment(path_of("name = \"x\"\nclaim = \"y\"\n[base]\nepochs = \"many\"\n")),
      Catch::Contains("experiment.toml:4:") && Catch::Contains("epochs"));
}

TEST_CASE("every shipped experiment loads and expands, full and quick", "[unit][harness]") {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ACTLAB_SOURCE_DIR "/experiments")) {
    if (entry.path().extension() != ".toml") continue;
    CAPTURE(entry.path().string());
    const Experiment experiment = load_experiment(entry.path());
    CHECK(experiment.name == entry.path().stem().string());
    CHECK_FALSE(experiment.claim.empty());
    CHECK_FALSE(experiment.source.empty());
    // Every claim can fail: a control named, at least one verdict, and budgets per profile.
    CHECK_FALSE(experiment.control.empty());
    CHECK_FALSE(experiment.verdicts.empty());
    CHECK_FALSE(experiment.budget.empty());
    for (const auto& profile : profile_names()) {
      CAPTURE(profile);
      REQUIRE(experiment.profiles.count(profile) == 1);
      CHECK_FALSE(experiment.profiles.at(profile).budget.empty());
      CHECK(expand(experiment).size() >= expand(experiment, profile).size());
    }
    ++count;
  }
  CHECK(count >= 11);
}

TEST_CASE("the Slurm script runs one array task per run id", "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_experiment(dir, kSmall));
  SweepOptions options;
  options.out = dir / "sweep";
  options.actlab_binary = ACTLAB_BINARY;
  const auto runs = expand(experiment);
  const std::string script = slurm_array_script(
      experiment, runs, options, dir / "sweep" / "experiment.toml", SlurmSubmitter::user);
  CHECK_THAT(script, Catch::StartsWith("#!/bin/bash"));
  CHECK_THAT(script, Catch::Contains("#SBATCH --array=0-5"));
  for (const auto& run : runs) CHECK_THAT(script, Catch::Contains("  '" + run.id + "'\n"));
  CHECK_THAT(script, Catch::Contains("--only \"${RUN_IDS[$SLURM_ARRAY_TASK_ID]}\""));
  // The sweep folder's copy, quoted; the user submits it and collects after.
  CHECK_THAT(
      script,
      Catch::Contains(" run '" +
                      std::filesystem::absolute(dir / "sweep" / "experiment.toml").string() + "'"));
  CHECK_THAT(script, Catch::Contains("# Submit: sbatch '") && Catch::Contains(" collect '"));
}

TEST_CASE("a sweep killed with SIGKILL resumes without redoing finished runs",
          "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);  // for the runs' --data
  TempDir dir;
  const auto file = write_experiment(dir, R"(name = "resume"
claim = "Resume test."
source = "tests"
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 300
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
activation = ["relu", "tanh", "sigmoid"]
)");
  const auto sweep = dir / "sweep";
  const std::string command =
      fmt::format("run '{}' --out '{}' --jobs 1", file.string(), sweep.string());
  // Start the sweep, kill it as soon as its first run has finished.
  const pid_t pid =
      actlab::start_process({ACTLAB_BINARY, "run", file.string(), "--out", sweep.string()});
  const auto runs = expand(load_experiment(file));
  const auto first_summary = sweep / "runs" / runs[0].id / "summary.json";
  auto completed = [&] {
    try {
      return nlohmann::json::parse(read_file(first_summary))["status"] == "completed";
    } catch (...) {
      return false;
    }
  };
  for (int i = 0; i < 600 && !completed(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(completed());
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  const auto first_log_time =
      std::filesystem::last_write_time(sweep / "runs" / runs[0].id / "log.txt");
  // Sweeps pass --tensorboard: the run folder holds an event file.
  bool has_event_file = false;
  for (const auto& entry : std::filesystem::directory_iterator(sweep / "runs" / runs[0].id)) {
    has_event_file |= entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  }
  CHECK(has_event_file);

  const auto dry = run_actlab(command + " --dry-run");
  CHECK_THAT(dry.output, Catch::Contains("completed   " + runs[0].id));

  const auto resumed =
      run_actlab(fmt::format("run '{}' --out '{}'", file.string(), sweep.string()) + " 2>&1; true");
  CHECK_THAT(resumed.output, Catch::Contains("3 runs, 1 done, 2 to run"));
  CHECK(std::filesystem::last_write_time(sweep / "runs" / runs[0].id / "log.txt") ==
        first_log_time);
  CHECK(count_rows(sweep / "results.db", "SELECT COUNT(*) FROM runs") == 3);
  CHECK(count_rows(sweep / "results.db", "SELECT COUNT(DISTINCT run_id) FROM runs") == 3);
  CHECK(count_rows(sweep / "results.db", "SELECT COUNT(*) FROM runs WHERE status = 'completed'") ==
        3);
  CHECK(count_rows(sweep / "results.db", "SELECT COUNT(*) FROM epochs") == 6);
  CHECK(actlab::testing::count_lines(read_file(sweep / "results.csv")) == 4);

  const auto table = run_actlab(
      fmt::format("compare '{}' --by activation --metric best_test_error", sweep.string()));
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.output, Catch::Contains("sigmoid") && Catch::Contains("best_test_error"));
  // collect rebuilds the same tables from the folders alone.
  std::filesystem::remove(sweep / "results.db");
  CHECK(run_actlab(fmt::format("collect '{}'", sweep.string())).exit_code == 0);
  CHECK(count_rows(sweep / "results.db", "SELECT COUNT(*) FROM runs") == 3);
}

TEST_CASE("compare aligns its columns, spreads (±) included", "[unit][harness]") {
  auto run = [](const std::string& activation, double error) {
    RunResult result;
    result.id = activation + std::to_string(error);
    result.config = {{"activation", activation}};
    result.summary = {{"best_test_error", error}};
    return result;
  };
  RunSet runs;
  runs.finished = {run("relu", 0.5), run("relu", 0.6), run("sigmoid", 0.9)};
  for (auto& r : runs.finished) r.summary["status"] = "completed";
  const std::string table = compare_table(runs, {"activation"}, {"best_test_error"});
  CHECK_THAT(table, Catch::Contains("0.55 ± 0.071"));
  // Every line is padded to the same width on screen (UTF-8 continuation bytes take no column).
  std::istringstream lines(table);
  std::string line;
  std::set<size_t> widths;
  while (std::getline(lines, line)) {
    widths.insert(
        std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  }
  CHECK(widths.size() == 1);
}

TEST_CASE("a profile brings its own tuning candidates and tuning-run options ([quick.tune])",
          "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_experiment(dir, R"(name = "tuned"
claim = "c"
[base]
model = "krizhevsky18pct"
epochs = 60
stop_when = "train_error<=0.25"
[grid]
activation = ["relu", "tanh"]
seed = [0, 1]
[tune]
option = "lr"
values = [0.0001, 0.001, 0.01]
metric = "train_error_auc"
[tune.set]
epochs = 3
stop_when = "off"
[quick]
epochs = 5
[quick.tune]
values = [0.01, 0.1]
[quick.tune.set]
epochs = 1
[standard]
epochs = 12
)"));
  const auto count = [](const std::vector<std::string>& arguments, const std::string& argument) {
    return std::count(arguments.begin(), arguments.end(), argument);
  };
  const auto full = tuning_runs(experiment);
  REQUIRE(full.size() == 6);
  for (const auto& run : full) {
    CHECK(count(train_arguments(run), "--epochs=3") == 1);
    CHECK(count(train_arguments(run), "--stop-when=off") == 1);
  }
  const auto quick = tuning_runs(experiment, "quick");
  REQUIRE(quick.size() == 4);  // the profile's 2 candidates x 2 activations
  for (const auto& run : quick) {
    const auto arguments = train_arguments(run);
    CHECK(count(arguments, "--epochs=1") == 1);
    CHECK(count(arguments, "--stop-when=train_error<=0.25") == 1);  // base's: no [tune.set] here
    CHECK((count(arguments, "--lr=0.01") + count(arguments, "--lr=0.1")) == 1);
  }
  // A profile without [P.tune] keeps the file's.
  for (const auto& run : tuning_runs(experiment, "standard"))
    CHECK(count(train_arguments(run), "--epochs=3") == 1);
  // The grid's runs are untouched by [tune.set]: they stop at the target.
  for (const auto& run : expand(experiment))
    CHECK(count(train_arguments(run), "--stop-when=train_error<=0.25") == 1);

  CHECK_THROWS_WITH(load_experiment(write_experiment(dir, R"(name = "t"
claim = "c"
[quick.tune]
values = [0.1]
)")),
                    Catch::Contains("[quick.tune] adjusts a [tune] stage the file does not have"));
  CHECK_THROWS_WITH(load_experiment(write_experiment(dir, R"(name = "t"
claim = "c"
[tune]
option = "lr"
values = [0.1]
metric = "train_error_auc"
[quick.tune]
metric = "test_error"
)")),
                    Catch::Contains("unknown key 'metric' in [quick.tune]"));
}
