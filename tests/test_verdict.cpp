// Verdicts, run classification and metrics on hand-written run records with known answers.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_metric.h"
#include "src/harness/run_set.h"
#include "src/harness/sweep.h"
#include "src/harness/verdict.h"
#include "src/harness/verdicts_file.h"
#include "src/report/results_document.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const char* kSweep = R"(name = "speed"
claim = "relu reaches the target sooner than tanh."
source = "tests"
control = "the same net and lr; only the activation differs"
[base]
model = "krizhevsky4"
epochs = 4
[grid]
activation = ["relu", "tanh"]
seed = [0, 1, 2]
[quick]
epochs = 1
[quick.grid]
seed = [0]
[[verdict]]
says = "tanh needs at least 1.5x relu's epochs"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio >= 1.5"
)";

// A run folder as `actlab run` leaves it, with the given status and area under the curve.
void write_run(const std::filesystem::path& sweep, const RunSpec& spec, const std::string& status,
               double auc, const std::string& profile = "") {
  const auto dir = sweep / "runs" / spec.id;
  nlohmann::json axes = nlohmann::json::object();
  for (const auto& [key, value] : spec.axes) axes[key] = value;
  write_text(
      dir / "run.json",
      nlohmann::json(
          {{"run_id", spec.id}, {"experiment", "speed"}, {"profile", profile}, {"axes", axes}})
          .dump());
  nlohmann::json config = nlohmann::json::object();
  for (const auto& [key, value] : spec.options) config[key] = value;
  config["activation"] = config["activation"].get<std::string>() == "relu" ? "relu" : "tanh";
  write_text(dir / "config.json", config.dump());
  write_text(dir / "summary.json",
             nlohmann::json({{"status", status}, {"train_error_auc", auc}}).dump());
  write_text(dir / "metrics.jsonl", "{\"epoch\":0,\"train_error\":0.9}\n");
}

// A sweep of the kSweep grid whose relu runs have `relu` and tanh runs `tanh` as their AUCs.
TempDir make_sweep(const std::vector<double>& relu, const std::vector<double>& tanh) {
  TempDir dir;
  const auto file = write_text(dir / "sweep" / "experiment.toml", kSweep);
  const auto runs = expand(load_experiment(file));
  for (size_t i = 0; i < runs.size(); ++i) {
    const bool is_relu = i < 3;
    write_run(dir / "sweep", runs[i], "completed", is_relu ? relu[i] : tanh[i - 3]);
  }
  return dir;
}

VerdictResult verdict_of(const TempDir& dir) {
  const auto sweep = dir / "sweep";
  const auto verdicts = evaluate_verdicts(load_experiment(sweep / "experiment.toml"),
                                          classify_runs(sweep, load_results(sweep)));
  REQUIRE(verdicts.size() == 1);
  return verdicts[0];
}

}  // namespace

TEST_CASE("a verdict holds, fails or straddles as its paired t test says",
          "[unit][harness][verdict]") {
  SECTION("holds: tanh about 2x relu, little spread") {
    const auto v = verdict_of(make_sweep({1.0, 1.1, 0.9}, {2.0, 2.1, 1.9}));
    CHECK(v.outcome == "HOLDS");
    CHECK(v.a.mean == Approx(2.0));
    CHECK(v.b.mean == Approx(1.0));
    CHECK(v.a.seeds == std::vector<std::string>{"0", "1", "2"});
    CHECK(v.a.values == std::vector<double>{2.0, 2.1, 1.9});
    CHECK(v.test == "paired t on log values, 3 pairs by seed");
    CHECK(v.estimand == "ratio of geometric means");
    // exp(mean of log(2/1), log(2.1/1.1), log(1.9/0.9)), by hand.
    CHECK(v.effect ==
          Approx(std::exp((std::log(2.0) + std::log(2.1 / 1.1) + std::log(1.9 / 0.9)) / 3)));
    CHECK(v.low > 1.5);
    CHECK(v.high < 2.5);
    CHECK(v.p < 0.05);
    CHECK(v.p_adjusted == Approx(v.p));  // a family of one
  }
  SECTION("fails: tanh as fast as relu") {
    const auto v = verdict_of(make_sweep({1.0, 1.1, 0.9}, {1.0, 1.05, 0.95}));
    CHECK(v.outcome == "FAILS");
    CHECK(v.high < 1.5);
  }
  SECTION("straddles: the seeds disagree") {
    const auto v = verdict_of(make_sweep({1.0, 1.0, 1.0}, {0.8, 1.5, 2.4}));
    CHECK(v.outcome == "INCONCLUSIVE");
    CHECK(v.low < 1.5);
    CHECK(v.high > 1.5);
    CHECK_THAT(v.note, Catch::Contains("not significant: Holm-adjusted p"));
  }
}

TEST_CASE("one seed is inconclusive by construction, yet prints its numbers",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto file = write_text(dir / "sweep" / "experiment.toml", kSweep);
  const auto runs = expand(load_experiment(file), "quick");
  REQUIRE(runs.size() == 2);
  write_run(dir / "sweep", runs[0], "completed", 1.0, "quick");
  write_run(dir / "sweep", runs[1], "completed", 3.0, "quick");
  const auto v = verdict_of(dir);
  CHECK(v.outcome == "INCONCLUSIVE");
  CHECK(v.effect == Approx(3.0));
  CHECK_FALSE(v.has_interval);
  CHECK_FALSE(v.tested);
  const std::string table = verdict_table({v});
  CHECK_THAT(table, Catch::Contains("ratio of means 3 (no interval)") &&
                        Catch::Contains("seeds 0: 3; mean 3, SD 0, n=1") &&
                        Catch::Contains("fewer than 2 runs"));
}

TEST_CASE("the bootstrap interval is seeded, ordered and covers the effect",
          "[unit][harness][verdict]") {
  const std::vector<double> a = {2.0, 2.2, 1.8, 2.1}, b = {1.0, 1.1, 0.9};
  const auto first = bootstrap_test(a, b, /*ratio=*/false, 0, 7);
  const auto again = bootstrap_test(a, b, /*ratio=*/false, 0, 7);
  CHECK(first.low == again.low);
  CHECK(first.high == again.high);
  CHECK(first.low < 1.025);
  CHECK(first.high > 1.025);
  CHECK(first.low > 0.7);  // resampled means stay within the data's range
  CHECK(first.high < 1.4);
  // Identical groups of constants: a degenerate interval at the effect.
  const auto flat = bootstrap_test({2, 2, 2}, {1, 1, 1}, /*ratio=*/true, 1, 1);
  CHECK(flat.low == Approx(2.0));
  CHECK(flat.high == Approx(2.0));
}

TEST_CASE("tables average neither killed nor stale runs and list both",
          "[unit][harness][verdict]") {
  TempDir dir = make_sweep({1.0, 1.1, 0.9}, {2.0, 2.1, 1.9});
  const auto sweep = dir / "sweep";
  const auto runs = expand(load_experiment(sweep / "experiment.toml"));
  // Killed: its start-time summary says running (and error 1.0).
  write_run(sweep, runs[0], "running", 0.0);
  // Stale: a folder of an older grid (an id the file no longer produces).
  RunSpec old = runs[1];
  old.id = "activation-relu_seed-1_deadbeef";
  write_run(sweep, old, "completed", 0.01);
  const RunSet set = classify_runs(sweep, load_results(sweep));
  CHECK(set.finished.size() == 5);
  REQUIRE(set.apart.size() == 2);
  const std::string table = compare_table(set, {"activation"}, {"train_error_auc"});
  CHECK_THAT(table, Catch::Contains("1 ± 0.14"));  // relu: the two finished seeds 1.1, 0.9
  CHECK_THAT(table, Catch::Contains("killed or still running (not averaged): " + runs[0].id));
  CHECK_THAT(table, Catch::Contains("stale (older grid) (not averaged): " + old.id));
  // And through the real command line.
  const auto printed =
      run_actlab(fmt::format("compare '{}' --by activation --metric "
                             "train_error_auc,best_test_error,train_error_0.25_epoch",
                             sweep.string()));
  CHECK(printed.exit_code == 0);
  CHECK_THAT(printed.output, Catch::Contains("stale (older grid)") && Catch::Contains("killed"));
  CHECK_THAT(printed.output, Catch::Contains("not recorded"));
  const auto verdict = run_actlab(fmt::format("verdict '{}'", sweep.string()));
  CHECK(verdict.exit_code == 0);
  // relu has 2 finished seeds, tanh 3: no pairing, Welch's t on the log values.
  CHECK_THAT(verdict.output, Catch::Contains("Welch's t on log values") &&
                                 Catch::Contains("95% CI") &&
                                 Catch::Contains("seeds 1 2: 1.1 0.9"));
  CHECK(std::filesystem::exists(sweep / "verdicts.json"));
}

TEST_CASE("never reached and not recorded are told apart", "[unit][harness][verdict]") {
  RunSet set;
  RunResult run;
  run.id = "a";
  run.config = {{"activation", "relu"}};
  run.summary = {{"status", "completed"},
                 {"targets",
                  {{{"metric", "train_error"},
                    {"threshold", 0.25},
                    {"reached", false},
                    {"epoch", nullptr},
                    {"step", nullptr},
                    {"images_seen", nullptr},
                    {"seconds", nullptr}}}}};
  set.finished = {run};
  const std::string table =
      compare_table(set, {"activation"}, {"train_error_0.25_epoch", "no_such_metric"});
  CHECK_THAT(table, Catch::Contains("never (1/1)"));
  CHECK_THAT(table, Catch::Contains("not recorded"));
}

TEST_CASE("layer expressions pick a layer and a probe time", "[unit][harness][verdict]") {
  RunResult run;
  for (int step : {0, 100}) {
    for (int index = 0; index < 3; ++index) {
      run.layers.push_back({{"epoch", step == 0 ? 0 : 1},
                            {"step", step},
                            {"index", index},
                            {"grad_act_rms", (step + 1) * (index + 1.0)}});
    }
  }
  CHECK(*run_metric(run, "grad_act_rms.first.init").value == Approx(1.0));
  CHECK(*run_metric(run, "grad_act_rms.last.init").value == Approx(3.0));
  CHECK(*run_metric(run, "grad_act_rms.max.final").value == Approx(303.0));
  CHECK(*run_metric(run, "grad_act_rms.mean.epoch1").value == Approx(202.0));
  CHECK(*run_metric(run, "grad_act_rms.1.final").value == Approx(202.0));
  CHECK(*run_metric(run, "grad_act_rms.first.init / grad_act_rms.last.init").value ==
        Approx(1.0 / 3.0));
  CHECK_FALSE(run_metric(run, "dead_fraction.first.init").recorded);
}

TEST_CASE("the early training-error area covers the first N epochs of every run alike",
          "[unit][harness][verdict]") {
  // Evaluations every half epoch; the error falls 0.9, 0.7, 0.5, 0.3, 0.1 by position 2.
  RunResult run;
  for (int i = 0; i <= 4; ++i)
    run.epochs.push_back({{"position", 0.5 * i}, {"train_error", 0.9 - 0.2 * i}});
  // Trapezoids by hand: 0.5 * (0.9+0.7)/2 + 0.5 * (0.7+0.5)/2 = 0.7.
  CHECK(*run_metric(run, "train_error_auc.epoch1").value == Approx(0.7));
  CHECK(*run_metric(run, "train_error_auc.epoch2").value == Approx(0.7 + 0.3));
  // A run that stopped before epoch 3 (a stop_when target) has no value, and says it was looked
  // at: the verdict counts it as missing instead of comparing a shorter area.
  const auto short_run = run_metric(run, "train_error_auc.epoch3");
  CHECK(short_run.recorded);
  CHECK_FALSE(short_run.value);
  // Evaluations that straddle N: the last segment is cut at N by linear interpolation.
  RunResult sparse;
  sparse.epochs = {{{"position", 0.0}, {"train_error", 1.0}},
                   {{"position", 2.0}, {"train_error", 0.0}}};
  CHECK(*run_metric(sparse, "train_error_auc.epoch1").value == Approx(0.75));
  // A curve that does not start at 0 (no initial evaluation) has no area to read.
  RunResult late;
  late.epochs = {{{"position", 1.0}, {"train_error", 0.5}},
                 {{"position", 4.0}, {"train_error", 0.2}}};
  CHECK_FALSE(run_metric(late, "train_error_auc.epoch3").value);
  // Records of whole epochs without "position" count by their epoch.
  RunResult epochs;
  epochs.epochs = {{{"epoch", 0}, {"train_error", 0.8}}, {{"epoch", 1}, {"train_error", 0.4}}};
  CHECK(*run_metric(epochs, "train_error_auc.epoch1").value == Approx(0.6));
  CHECK(unknown_metric("train_error_auc.epoch3", {}).empty());
  CHECK_FALSE(unknown_metric("train_error_auc.epoch0", {}).empty());
  CHECK_THAT(unknown_metric("train_error_auc.final", {}),
             Catch::Contains("train_error_auc.epochN"));
}

TEST_CASE("overrides and grids are checked against what the sweep sets",
          "[unit][harness][verdict]") {
  TempDir dir;
  auto load = [&](const std::string& tail) {
    return load_experiment(write_text(dir / "e.toml", std::string(R"(name = "e"
claim = "c"
[base]
model = "krizhevsky4"
[grid]
activation = ["relu", "leaky_relu:slope=0.01"]
)") + tail));
  };
  // A spec written differently still matches (canonical forms are compared).
  const auto e = load("[[override]]\nwhen = { activation = \"leaky_relu\" }\nset = { lr = 0.5 }\n");
  const auto runs = expand(e);
  const auto arguments = train_arguments(runs[1]);
  CHECK(std::count(arguments.begin(), arguments.end(), "--lr=0.5") == 1);
  CHECK_THROWS_WITH(load("[[override]]\nwhen = { activation = \"tanh\" }\nset = { lr = 0.5 }\n"),
                    Catch::Contains("matches no run") && Catch::Contains("e.toml:7:"));
  CHECK_THROWS_WITH(load("[[override]]\nwhen = { colour = \"red\" }\nset = { lr = 0.5 }\n"),
                    Catch::Contains("no `actlab train` option"));
  CHECK_THROWS_WITH(load("[[override]]\nwhen = { depth = 8 }\nset = { lr = 0.5 }\n"),
                    Catch::Contains("never sets 'depth'"));
  CHECK_THROWS_WITH(load_experiment(write_text(dir / "d.toml", R"(name = "d"
claim = "c"
[grid]
activation = ["relu", "leaky_relu", "leaky_relu:slope=0.01"]
)")),
                    Catch::Contains("d.toml:4:") && Catch::Contains("twice"));
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"m\"\na = {}\nb = {}\nexpect = "
                         "\"bigger\"\n"),
                    Catch::Contains("ratio >= 1.5"));
  CHECK_THROWS_WITH(expand(e, "standard"), Catch::Contains("has no [standard] profile"));
  // A verdict group that no run can fall in is refused before the sweep, not NO DATA after it.
  const std::string verdict =
      "[[verdict]]\nsays = \"x\"\nmetric = \"best_test_error\"\na = { activation = \"relu\" "
      "}\nb = { activation = \"tanh\" }\nexpect = \"ratio > 1\"\n";
  CHECK_THROWS_WITH(load(verdict), Catch::Contains("activation = tanh matches no run"));
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"best_test_error\"\na = { "
                         "activation = \"relu\" }\nb = { activation = \"leaky_relu\" }\nexpect = "
                         "\"ratio > 1\"\nper = [\"depht\"]\n"),
                    Catch::Contains("per names 'depht'"));
  // A misspelt metric is a FILE:LINE error listing what is valid, before anything runs.
  const std::string groups =
      "a = { activation = \"relu\" }\nb = { activation = \"leaky_relu\" }\nexpect = \"ratio > "
      "1\"\n";
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"best_tset_error\"\n" + groups),
                    Catch::Contains("e.toml:7: verdict \"x\": unknown metric 'best_tset_error'") &&
                        Catch::Contains("best_test_error") && Catch::Contains("grad_act_rms"));
  CHECK_THROWS_WITH(
      load("[[verdict]]\nsays = \"x\"\nmetric = \"grad_act_rms.first.end\"\n" + groups),
      Catch::Contains("the time must be init, final or epochN"));
  CHECK_THROWS_WITH(
      load("[[verdict]]\nsays = \"x\"\nmetric = \"train_error_0.3_epoch\"\n" + groups),
      Catch::Contains("unknown metric 'train_error_0.3_epoch'"));  // no such target
  CHECK_NOTHROW(
      load("[[verdict]]\nsays = \"x\"\nmetric = \"train_weight_grad_norm.first.final / "
           "grad_act_rms.last.init\"\n" +
           groups));
}

TEST_CASE("a ratio whose resampled denominator can be 0 gets no interval",
          "[unit][harness][verdict]") {
  const auto interval = bootstrap_test({1, 2, 3}, {0, 0, 1}, /*ratio=*/true, 1, 3);
  CHECK(std::isnan(interval.low));
  CHECK(std::isnan(interval.high));
}

TEST_CASE("RESULTS.md blocks are written from the records and a changed number is caught",
          "[unit][harness][verdict][results]") {
  const TempDir dir = make_sweep({1.0, 1.1, 0.9}, {2.0, 2.1, 1.9});
  const std::string prose = "# Results\n\nWritten by people.\n\n";
  const std::string block = "<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n";
  // The blocks show what the verdict engine wrote: without verdicts.json, one line says how.
  CHECK_THROWS_WITH(
      regenerate_results_document(block, dir.path()),
      Catch::Contains("verdicts.json is missing") && Catch::Contains("actlab verdict"));
  write_verdicts(dir.path() / "sweep");
  const std::string skeleton = prose +
                               "<!-- actlab summary -->\n<!-- /actlab -->\n\n## Speed\n\n"
                               "<!-- actlab verdicts sweep -->\nstale text\n<!-- /actlab -->\n"
                               "Plain reading, kept.\n";
  const auto first = regenerate_results_document(skeleton, dir.path());
  CHECK(first.changed == std::vector<std::string>{"summary", "verdicts sweep"});
  CHECK_THAT(first.text, Catch::StartsWith(prose) && Catch::EndsWith("Plain reading, kept.\n"));
  // The summary row and the section's row: outcome, means (n) and the ratio of 2 with its interval.
  CHECK_THAT(first.text, Catch::Contains("| `speed` | tanh needs at least 1.5x relu's epochs | "
                                         "ratio >= 1.5 | **HOLDS** | ratio of geometric means "
                                         "2.005 [95% CI "));
  CHECK_THAT(first.text, Catch::Contains("| activation=tanh: seeds 0 1 2: 2 2.1 1.9; mean 2, SD "
                                         "0.1, n=3 | activation=relu: seeds 0 1 2: 1 1.1 0.9; "
                                         "mean 1, SD 0.1, n=3 |"));
  CHECK_THAT(first.text, Catch::Contains("| paired t on log values, 3 pairs by seed |"));
  CHECK_THAT(first.text, Catch::Contains("6 finished runs of the current grid"));
  // The runs' run.json says profile "" (the file's top level): the command names it.
  CHECK_THAT(first.text, Catch::Contains("actlab run experiments/speed.toml --profile full"));
  CHECK_FALSE(Catch::contains(first.text, "stale text"));

  SECTION("the builds of the tuning runs are named beside the grid runs'") {
    const auto sweep = dir.path() / "sweep";
    const auto runs = expand(load_experiment(sweep / "experiment.toml"));
    write_run(sweep / "tune", runs[0], "completed", 1.0);
    auto config = read_json_or_empty(sweep / "tune" / "runs" / runs[0].id / "config.json");
    config["resolved"] = {{"git_commit", "0123456789abcdef"}};
    write_text(sweep / "tune" / "runs" / runs[0].id / "config.json", config.dump());
    CHECK_THAT(regenerate_results_document(skeleton, dir.path()).text,
               Catch::Contains("Made by actlab unrecorded (grid runs; tuning runs: 0123456789ab) "
                               "with LibTorch"));
  }
  SECTION("regenerating an up-to-date document changes nothing") {
    const auto second = regenerate_results_document(first.text, dir.path());
    CHECK(second.changed.empty());
    CHECK(second.text == first.text);
  }
  SECTION("a number typed by hand into a block is named, and `actlab results --check` fails") {
    std::string edited = first.text;
    const auto at = edited.find("mean 2, SD 0.1");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 14, "mean 6, SD 0.1");
    CHECK(regenerate_results_document(edited, dir.path()).changed ==
          std::vector<std::string>{"verdicts sweep"});
    write_text(dir / "RESULTS.md", edited);
    const auto check =
        run_actlab(fmt::format("results --check '{}'", (dir / "RESULTS.md").string()));
    CHECK(check.exit_code == 1);
    CHECK_THAT(check.output, Catch::Contains("block 'verdicts sweep' differs"));
    CHECK(read_file(dir / "RESULTS.md") == edited);  // --check writes nothing
    const auto update = run_actlab(fmt::format("results '{}'", (dir / "RESULTS.md").string()));
    CHECK(update.exit_code == 0);
    CHECK(read_file(dir / "RESULTS.md") == first.text);
  }
  SECTION("new records change the verdict the document shows") {
    const TempDir slower = make_sweep({1.0, 1.1, 0.9}, {1.0, 1.05, 0.95});
    write_verdicts(slower.path() / "sweep");  // the verdict engine judges them first
    const auto changed = regenerate_results_document(first.text, slower.path());
    CHECK(changed.changed == std::vector<std::string>{"summary", "verdicts sweep"});
    CHECK_THAT(changed.text, Catch::Contains("**FAILS**"));
  }
  SECTION("CRLF line endings and trailing blanks on markers still match") {
    std::string crlf;
    for (char c : first.text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const auto again = regenerate_results_document(crlf, dir.path());
    CHECK(again.changed.empty());
    CHECK(again.text == crlf);
  }
  SECTION("editing the experiment file without rerunning it shows in the block") {
    write_text(dir / "experiments" / "speed.toml", std::string(kSweep) + "# edited\n");
    const auto stale = regenerate_results_document(first.text, dir.path());
    CHECK(stale.changed == std::vector<std::string>{"verdicts sweep"});
    CHECK_THAT(stale.text, Catch::Contains("**Out of date:** experiments/speed.toml differs"));
    write_text(dir / "experiments" / "speed.toml", kSweep);
    CHECK(regenerate_results_document(first.text, dir.path()).changed.empty());
  }
  SECTION("bad blocks are one-line errors naming the line") {
    CHECK_THROWS_WITH(regenerate_results_document("a\n<!-- /actlab -->\n", dir.path()),
                      Catch::Contains("line 2: <!-- /actlab --> without a block to end"));
    CHECK_THROWS_WITH(regenerate_results_document("<!--actlab verdicts sweep-->\n", dir.path()),
                      Catch::Contains("line 1: malformed marker"));
    CHECK_THROWS_WITH(regenerate_results_document(
                          "<!-- actlab verdicts sweep -->\n<!-- actlab summary -->\n", dir.path()),
                      Catch::Contains("line 2: a marker inside the block opened at line 1"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n"
                                    "<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n",
                                    dir.path()),
        Catch::Contains("line 3: a second block for sweep"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab summary -->\n<!-- /actlab -->\n", dir.path()),
        Catch::Contains("the summary block has nothing to list"));
    CHECK_THROWS_WITH(
        regenerate_results_document("a\n<!-- actlab verdicts sweep -->\nb\n", dir.path()),
        Catch::Contains("line 2: block not closed"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab figures x -->\n<!-- /actlab -->\n", dir.path()),
        Catch::Contains("line 1: malformed marker"));
    CHECK_THROWS_WITH(regenerate_results_document(
                          "<!-- actlab verdicts nowhere -->\n<!-- /actlab -->\n", dir.path()),
                      Catch::Contains("is not a sweep folder"));
  }
}

TEST_CASE("verdicts repeated per value come in numeric order, then text order",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto file = write_text(dir / "sweep" / "experiment.toml", R"(name = "depths"
claim = "c"
source = "tests"
[base]
model = "plain"
epochs = 1
[grid]
activation = ["relu", "tanh"]
depth = [16, 4, 8]
seed = [0, 1]
[[verdict]]
says = "tanh's area is larger"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio > 1"
per = ["depth"]
)");
  for (const auto& run : expand(load_experiment(file))) {
    write_run(dir / "sweep", run, "completed", 1.0);
  }
  const auto sweep = dir / "sweep";
  const auto verdicts = evaluate_verdicts(load_experiment(sweep / "experiment.toml"),
                                          classify_runs(sweep, load_results(sweep)));
  std::vector<std::string> scopes;
  for (const auto& v : verdicts) scopes.push_back(v.scope);
  CHECK(scopes == std::vector<std::string>{"depth=4", "depth=8", "depth=16"});
}
