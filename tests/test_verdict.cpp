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
#include "tests/speed_sweep.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;
using namespace actlab::testing;

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

TEST_CASE("the gradient norm's first, largest, growth and median over the recorded steps",
          "[unit][harness][verdict]") {
  RunResult run;
  for (double norm : {2.0, 1.0, 4.0, 3.0})
    run.gradients.push_back({{"step", run.gradients.size() + 1}, {"global_grad_norm", norm}});
  run.gradients.push_back({{"step", 5}, {"global_grad_norm", nullptr}});  // the diverging step
  CHECK(*run_metric(run, "grad_norm.first").value == 2.0);
  CHECK(*run_metric(run, "grad_norm.max").value == 4.0);
  CHECK(*run_metric(run, "grad_norm.growth").value == 2.0);
  CHECK(*run_metric(run, "grad_norm.median").value == 2.5);  // of 1, 2, 3, 4; null skipped
  run.gradients.pop_back();
  run.gradients.pop_back();
  CHECK(*run_metric(run, "grad_norm.median").value == 2.0);  // of 1, 2, 4
  CHECK_FALSE(run_metric(run, "grad_norm.mean").recorded);
  CHECK(unknown_metric("grad_norm.median", {}).empty());
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
  // What training changed: final minus init, per layer or over layers.
  CHECK(*run_metric(run, "grad_act_rms.last.final - grad_act_rms.last.init").value ==
        Approx(303.0 - 3.0));
  CHECK(*run_metric(run, "grad_act_rms.mean.final - grad_act_rms.mean.init").value ==
        Approx(202.0 - 2.0));
  CHECK(unknown_metric("grad_act_rms.mean.final - grad_act_rms.mean.init", {}).empty());
  CHECK_THAT(unknown_metric("grad_act_rms.mean.final - nonsense", {}),
             Catch::Contains("unknown metric 'nonsense'"));
  CHECK_FALSE(run_metric(run, "grad_act_rms.mean.final - dead_fraction.first.init").recorded);
  // One operator: "A - B / C" would silently mean A - (B / C).
  CHECK_THAT(unknown_metric("grad_act_rms.first.init - grad_act_rms.last.init / "
                            "grad_act_rms.max.init",
                            {}),
             Catch::Contains("one operator at most"));
  CHECK_FALSE(run_metric(run, "dead_fraction.first.init").recorded);
}

TEST_CASE(
    "a censored side of A - B or A / B gives a lower bound on the left, no value on the right",
    "[unit][harness][verdict]") {
  RunResult run;
  const nlohmann::json unreached = {{"metric", "train_error"}, {"threshold", 0.25},
                                    {"reached", false},        {"epoch", nullptr},
                                    {"position", nullptr},     {"step", nullptr}};
  const nlohmann::json reached = {{"metric", "test_error"}, {"threshold", 0.5},
                                  {"reached", true},        {"epoch", 3},
                                  {"position", 3.0},        {"step", 30}};
  run.summary = {{"status", "completed"},
                 {"epochs_completed", 10},
                 {"targets", nlohmann::json::array({unreached, reached})}};
  const auto exact = run_metric(run, "test_error_0.5_epoch");
  REQUIRE(exact.value);
  CHECK_FALSE(exact.censored);
  const auto bound = run_metric(run, "train_error_0.25_epoch");
  REQUIRE(bound.value);
  CHECK(bound.censored);
  CHECK(*bound.value == 10);  // the run's length: the target came later, if ever
  const auto difference = run_metric(run, "train_error_0.25_epoch - test_error_0.5_epoch");
  REQUIRE(difference.value);
  CHECK(difference.censored);
  CHECK(*difference.value == 7);
  const auto ratio = run_metric(run, "train_error_0.25_epoch / test_error_0.5_epoch");
  REQUIRE(ratio.value);
  CHECK(ratio.censored);
  CHECK(*ratio.value == Approx(10.0 / 3.0));
  // 3 - (at least 10) is at most -7: a bound the other way, which verdicts do not take.
  const auto other_way = run_metric(run, "test_error_0.5_epoch - train_error_0.25_epoch");
  CHECK(other_way.recorded);
  CHECK_FALSE(other_way.value);
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
  // metric_b: checked like metric, and only for values of runs.
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"sparsity.mean.final\"\n"
                         "metric_b = \"sparsity.mean.start\"\n" +
                         groups),
                    Catch::Contains("metric_b: ") && Catch::Contains("init, final or epochN"));
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"diverged\"\n"
                         "metric_b = \"diverged\"\n" +
                         groups),
                    Catch::Contains("metric_b is for values of runs"));
  CHECK_NOTHROW(
      load("[[verdict]]\nsays = \"x\"\nmetric = \"sparsity.mean.final\"\n"
           "metric_b = \"sparsity.mean.init\"\n" +
           groups));
  const std::string same = "a = { activation = \"relu\" }\nb = { activation = \"relu\" }\n";
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"sparsity.mean.final - "
                         "sparsity.mean.init\"\n" +
                         same + "expect = \"difference > 0\"\n"),
                    Catch::Contains("the same runs and the same metric"));
  CHECK_THROWS_WITH(load("[[verdict]]\nsays = \"x\"\nmetric = \"sparsity.mean.final\"\n"
                         "metric_b = \"sparsity.mean.init\"\npairing = \"none\"\n" +
                         same + "expect = \"difference > 0\"\n"),
                    Catch::Contains("remove pairing"));
  CHECK_NOTHROW(
      load("[[verdict]]\nsays = \"x\"\nmetric = \"sparsity.mean.final\"\n"
           "metric_b = \"sparsity.mean.init\"\n" +
           same + "expect = \"difference > 0\"\n"));
}

TEST_CASE("a ratio whose resampled denominator can be 0 gets no interval",
          "[unit][harness][verdict]") {
  const auto interval = bootstrap_test({1, 2, 3}, {0, 0, 1}, /*ratio=*/true, 1, 3);
  CHECK(std::isnan(interval.low));
  CHECK(std::isnan(interval.high));
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
