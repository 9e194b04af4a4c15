#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/tuned_rates.h"
#include "src/harness/tuning.h"
#include "src/records/run_folder.h"
#include "tests/helpers.h"

// A table of tuned rates ([tune] only = true) and the files that read it ([tune] from).

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const char* kTable = R"(name = "rates"
claim = "no claim: a table"
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 200
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
activation = ["relu", "tanh"]
batch_norm = [false, true]
[tune]
option = "lr"
values = [0.001, 0.02]
metric = "train_error_auc"
only = true
[quick.tune]
values = [0.003, 0.03]
)";

// A file reading the table: relu written with its default init spelled out, tanh left auto.
const char* kReader = R"(name = "reader"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 200
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
arm = [
  { label = "relu", activation = "relu", init = "kaiming" },
  { label = "tanh", activation = "tanh" },
]
seed = [1, 2]
[tune]
from = "tables/rates.toml"
)";

// The table's choice.json as its sweep writes it: relu/no-BN 0.02, the rest 0.001.
void write_table_choice(const std::filesystem::path& sweep, const Experiment& table) {
  nlohmann::json choices = nlohmann::json::object();
  for (const auto& run : tuning_runs(table)) {
    const std::string key = configuration_key(run, "lr");
    const bool fast = key == "activation=relu,batch_norm=false";
    choices[key] = {{"value", fast ? "0.02" : "0.001"}, {"measured", {{"0.001", 1.5}}}};
  }
  write_text(sweep / "tune" / "choice.json",
             nlohmann::json({{"option", "lr"}, {"choices", choices}}).dump());
}

}  // namespace

// TEXT with LINE added after the line that starts with AFTER.
std::string with_line(std::string text, const std::string& after, const std::string& line) {
  const size_t at = text.find('\n', text.find(after)) + 1;
  return text.insert(at, line + "\n");
}

TEST_CASE("a file with [tune] from reads the table's option and candidates, tunes nothing itself",
          "[unit][harness]") {
  TempDir dir;
  write_text(dir / "tables" / "rates.toml", kTable);
  const Experiment reader = load_experiment(write_text(dir / "reader.toml", kReader));
  REQUIRE(reader.tune);
  REQUIRE(reader.tune->table);
  CHECK(reader.tune->option == "lr");
  CHECK(reader.tune->metric == "train_error_auc");
  CHECK(reader.tune->values.size() == 2);
  CHECK(tuning_runs(reader).empty());
  CHECK(tuning_runs(*reader.tune->table).size() == 8);  // 4 configurations x 2 candidates
  CHECK(tuning_runs(*reader.tune->table, "quick").size() == 8);

  const auto refused = [&](const std::string& tune, const std::string& why) {
    const std::string text = std::string(kReader).substr(0, std::string(kReader).find("[tune]"));
    const auto file = write_text(dir / "bad.toml", text + tune);
    CHECK_THROWS_WITH(load_experiment(file), Catch::Contains(why));
  };
  refused("[tune]\nfrom = \"tables/rates.toml\"\nvalues = [0.1]\n", "remove 'values' here");
  refused("[tune]\nfrom = \"tables/none.toml\"\n", "no such file");
  refused("[tune]\nfrom = \"../rates.toml\"\n", "must lie in this file's folder");
  write_text(dir / "tables" / "plain.toml",
             std::string(kTable).substr(0, std::string(kTable).find("only = true")));
  refused("[tune]\nfrom = \"tables/plain.toml\"\n", "is no table");
  refused("[tune]\nfrom = \"tables/rates.toml\"\n[quick.tune]\nvalues = [0.1]\n",
          "remove [quick.tune]");
  // A table runs no grid: nothing to judge, nothing to repeat next to its choices.
  CHECK_THROWS_WITH(load_experiment(write_text(
                        dir / "t1.toml", with_line(kTable, "only = true", "neighbours = true"))),
                    Catch::Contains("remove neighbours"));
  CHECK_THROWS_WITH(
      load_experiment(write_text(dir / "t2.toml", std::string(kTable) +
                                                      "[[verdict]]\nsays = \"x\"\nmetric = "
                                                      "\"best_test_error\"\na = { activation = "
                                                      "\"relu\" }\nb = { activation = \"tanh\" "
                                                      "}\nexpect = \"difference > 0\"\n")),
      Catch::Contains("has no grid runs to judge"));
}

TEST_CASE("the table's sweep lies beside the reader's, named as the reader's is",
          "[unit][harness]") {
  TempDir dir;
  write_text(dir / "tables" / "rates.toml", kTable);
  const Experiment reader = load_experiment(write_text(dir / "reader.toml", kReader));
  CHECK(table_sweep_dir(reader, "standard", "results/standard/reader") == "results/standard/rates");
  CHECK(table_sweep_dir(reader, "quick", "runs/reader-quick") == "runs/rates-quick");
  CHECK(table_sweep_dir(reader, "quick", "runs/reader-quick/") == "runs/rates-quick");
  CHECK(table_sweep_dir(reader, "quick", "/tmp/x/sweep") == "/tmp/x/rates-quick");
  CHECK(table_sweep_dir(reader, "", "/tmp/x/sweep") == "/tmp/x/rates");
}

TEST_CASE("each configuration reads the rate of the table's configuration that trains like it",
          "[unit][harness]") {
  TempDir dir;
  write_text(dir / "tables" / "rates.toml", kTable);
  const Experiment reader = load_experiment(write_text(dir / "reader.toml", kReader));
  const auto out = dir / "results" / "reader";
  // Before the table's sweep: the command that makes it.
  CHECK_THROWS_WITH(choose_from_table(reader, "", out, true),
                    Catch::Contains("has not chosen yet") &&
                        Catch::Contains("actlab run " + (dir / "tables" / "rates.toml").string() +
                                        " --out " + (dir / "results" / "rates").string()));
  write_table_choice(dir / "results" / "rates", *reader.tune->table);
  // The table tuned on seed 0 (its default): a reader on seed 0 would judge the winner's luck.
  std::string on_seed0 = kReader;
  on_seed0.replace(on_seed0.find("seed = [1, 2]"), 13, "seed = [2, 0]");
  const Experiment seed0 = load_experiment(write_text(dir / "seed0.toml", on_seed0));
  CHECK_THROWS_WITH(choose_from_table(seed0, "", dir / "results" / "seed0", true),
                    Catch::Contains("uses seed 0, the seed") &&
                        Catch::Contains("give this file seeds the table does not use"));
  const TuneChoice choice = choose_from_table(reader, "", out, true);
  REQUIRE(choice.size() == 2);
  CHECK(choice.at("arm=relu") == "0.02");  // init kaiming is relu's auto: the same net
  CHECK(choice.at("arm=tanh") == "0.001");
  CHECK(read_tune_choice(out) == choice);
  const auto record = read_json_or_empty(out / "tune" / "choice.json");
  CHECK(record["choices"]["arm=relu"]["table_configuration"] == "activation=relu,batch_norm=false");
  CHECK(record["choices"]["arm=relu"]["runs"].size() == 2);
  CHECK(record["choices"]["arm=relu"]["measured"]["0.001"] == 1.5);
  for (const auto& run : expand(reader, "", &choice)) {
    const bool relu = run.axes[0].second == "relu";
    CHECK(run.options.end() !=
          std::find(run.options.begin(), run.options.end(),
                    std::pair<std::string, std::string>("lr", relu ? "0.02" : "0.001")));
  }
  // An arm that sets lr itself is a control at a fixed rate: not matched, not tuned, kept as
  // written, even where the table lacks its configuration (gelu); a table may not have one.
  std::string fixed = kReader;
  fixed.insert(fixed.find("]\nseed"),
               "  { label = \"gelu-fixed\", activation = \"gelu\", lr = 0.5 },\n");
  const Experiment with_fixed = load_experiment(write_text(dir / "fixed.toml", fixed));
  const TuneChoice fixed_choice =
      choose_from_table(with_fixed, "", dir / "results" / "fixed", false);
  CHECK(fixed_choice.size() == 2);
  int fixed_runs = 0;
  for (const auto& run : expand(with_fixed, "", &fixed_choice)) {
    if (run.axes[0].second != "gelu-fixed") continue;
    ++fixed_runs;
    CHECK(run.fixes_tuned_option);
    CHECK(std::count(run.options.begin(), run.options.end(),
                     std::pair<std::string, std::string>("lr", "0.5")) == 1);
  }
  CHECK(fixed_runs == 2);
  std::string fixed_table = kTable;
  fixed_table.replace(fixed_table.find("activation = [\"relu\", \"tanh\"]"), 29,
                      "arm = [{ label = \"r\", activation = \"relu\", lr = 0.1 }]");
  CHECK_THROWS_WITH(load_experiment(write_text(dir / "fixed_table.toml", fixed_table)),
                    Catch::Contains("which grid axis 'arm' also sets"));
  // A run that trains otherwise (another batch size, another init) finds no rate, and the error
  // names the nearest configuration and how it differs.
  const auto other = [&](const std::string& base_line, const std::string& why) {
    std::string text = kReader;
    text.insert(text.find("epochs = 1"), base_line + "\n");
    write_text(dir / "other.toml", text);
    CHECK_THROWS_WITH(choose_from_table(load_experiment(dir / "other.toml"), "", out, false),
                      Catch::Contains("has no tuned lr") && Catch::Contains(why) &&
                          Catch::Contains("add it to that table's grid"));
  };
  other("batch_size = 64", "batch_size = 64 (table: 128)");
  other("init = \"lecun\"", "init = lecun (table: xavier)");  // tanh: relu sets its own
  // What does not shape the net or its updates may differ: epochs, images, evaluations, probes.
  std::string longer = kReader;
  longer.replace(longer.find("epochs = 1"), 10, "epochs = 7\nevals_per_epoch = 3");
  write_text(dir / "longer.toml", longer);
  CHECK(choose_from_table(load_experiment(dir / "longer.toml"), "", out, false) == choice);
}

TEST_CASE("a sweep's copy of a file that reads a table loads on its own", "[unit][harness]") {
  TempDir dir;
  write_text(dir / "tables" / "rates.toml", kTable);
  const Experiment reader = load_experiment(write_text(dir / "reader.toml", kReader));
  std::filesystem::create_directories(dir / "sweep");
  write_experiment_copy(reader, dir / "sweep" / "experiment.toml");
  const Experiment copy = load_experiment(dir / "sweep" / "experiment.toml");
  REQUIRE(copy.tune);
  CHECK(copy.tune->table->name == "rates");
}

TEST_CASE("a reader's sweep runs the table's tuning first, then its grid at the table's rates",
          "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);
  TempDir dir;
  std::string table = kTable;
  table.replace(table.find("batch_norm = [false, true]"), 26, "batch_norm = [false]");
  write_text(dir / "tables" / "rates.toml", table);
  const auto file = write_text(dir / "reader.toml", kReader);
  const auto out = dir / "sweep" / "reader";
  const auto result =
      run_actlab(fmt::format("run '{}' --out '{}' -j 2", file.string(), out.string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("rates (tuning): 4 runs") &&
                                Catch::Contains("(from tables/rates.toml)") &&
                                Catch::Contains("reader: 4 runs"));
  // The table is tuning runs and choices only; the reader's runs ran at its choices.
  const auto table_sweep = dir / "sweep" / "rates";
  CHECK_FALSE(std::filesystem::exists(table_sweep / "runs"));
  const auto choice = read_tune_choice(out);
  REQUIRE(choice.size() == 2);
  const auto results = load_results(out);
  REQUIRE(results.size() == 4);
  for (const auto& run : results) {
    const std::string arm = run.run["axes"]["arm"].get<std::string>();
    CHECK(format_number(run.config["lr"].get<double>()) == choice.at("arm=" + arm));
  }
  CHECK(load_experiment(out / "experiment.toml").tune->table);
  // Again: the table's sweep resumes with nothing to run, and so does the reader's.
  const auto again = run_actlab(fmt::format("run '{}' --out '{}'", file.string(), out.string()));
  CHECK_THAT(again.output, Catch::Contains("4 runs, 4 done, 0 to run"));
}

TEST_CASE("a configuration whose candidates all stay at chance is said to have none trained",
          "[unit][harness]") {
  TempDir dir;
  const Experiment table = load_experiment(write_text(dir / "tables" / "rates.toml", kTable));
  const auto tuning = tuning_runs(table);
  const auto tune_dir = dir / "rates" / "tune";
  for (const auto& run : tuning) {
    // relu without batch norm learns at one rate; everything else ends at chance.
    const bool learns = configuration_key(run, "lr") == "activation=relu,batch_norm=false" &&
                        run.axes.back().second == "0.02";
    const double auc = learns ? 1.5 : 2.7 - 0.001 * (run.axes.back().second == "0.001");
    write_text(tune_dir / "runs" / run.id / "config.json", "{}");
    write_text(tune_dir / "runs" / run.id / "summary.json",
               nlohmann::json({{"status", "completed"},
                               {"train_error_auc", auc},
                               {"final_train_error", learns ? 0.5 : 0.9}})
                   .dump());
  }
  const TuneChoice choice = choose_tuned_values(table, tune_dir, tuning);
  CHECK(choice.at("activation=relu,batch_norm=false") == "0.02");
  CHECK(choice.at("activation=tanh,batch_norm=true") == "0.001");  // noise: the lowest at chance
  const auto lines = none_trained(table, tune_dir);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) {
    CHECK_THAT(line, !Catch::Contains("activation=relu,batch_norm=false") &&
                         Catch::Contains("no lr candidate left chance") &&
                         Catch::Contains("is noise"));
  }
  const auto record = read_json_or_empty(tune_dir / "choice.json");
  CHECK(record["choices"]["activation=tanh,batch_norm=true"]["none_trained"] == true);
  CHECK_FALSE(record["choices"]["activation=relu,batch_norm=false"].contains("none_trained"));
}

TEST_CASE("a table whose configurations train alike is refused, and so is --only on a table",
          "[unit][harness][cli]") {
  TempDir dir;
  // train_subset shapes no update: two configurations of this table train alike.
  write_text(dir / "tables" / "rates.toml",
             with_line(kTable, "batch_norm = [false, true]", "train_subset = [1000, 2000]"));
  const Experiment reader = load_experiment(write_text(dir / "reader.toml", kReader));
  CHECK_THROWS_WITH(check_table_covers(reader, "", dir / "results" / "reader"),
                    Catch::Contains("trains like several") &&
                        Catch::Contains("batch_norm=false,train_subset=1000") &&
                        Catch::Contains("batch_norm=false,train_subset=2000"));
  const auto result =
      run_actlab(fmt::format("run '{}' --only x --out '{}'",
                             (dir / "tables" / "rates.toml").string(), (dir / "t").string()));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains("is a table of tuned values") &&
                                Catch::Contains("no grid runs for --only"));
}

TEST_CASE("a grid whose arms all fix the tuned rate needs no tuning stage to have run",
          "[unit][harness]") {
  TempDir dir;
  const std::string head = R"(name = "fixed"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 1
[grid]
seed = [1, 2]
)";
  const std::string tune = R"(
[tune]
option = "lr"
values = [0.01, 0.1, 1.0]
metric = "train_error_auc"
)";
  const Experiment fixed = load_experiment(write_text(
      dir / "fixed.toml",
      head + "arm = [{ label = \"slow\", lr = 0.01 }, { label = \"fast\", lr = 0.1 }]\n" + tune));
  CHECK_NOTHROW(require_tune_choice(fixed, "", {}, dir.path(), "run it"));
  // One arm left to the tuning stage: its value is missing until the stage runs.
  const Experiment mixed = load_experiment(write_text(
      dir / "mixed.toml",
      head + "arm = [{ label = \"slow\", lr = 0.01 }, { label = \"tuned\", momentum = 0.5 }]\n" +
          tune));
  CHECK_THROWS_WITH(require_tune_choice(mixed, "", {}, dir.path(), "run it"),
                    Catch::Contains("has a [tune] stage that has not run yet") &&
                        Catch::Contains("choice.json is missing): run it"));
}
