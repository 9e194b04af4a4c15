// The verdict engine's outcomes on run records with known answers: did not train, censored
// targets, rates by Fisher's exact test, equivalence by two one-sided tests, Holm's correction;
// and on the real records of a tiny sweep.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "src/core/files.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "tests/hand_made_sweep.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const char* kHeader = R"(name = "outcomes"
claim = "c"
source = "tests"
[base]
model = "krizhevsky4"
epochs = 40
[grid]
activation = ["relu", "tanh"]
seed = [0, 1, 2, 3, 4]
)";

// What each run's summary.json holds, by activation and seed.
using Summaries = std::function<nlohmann::json(const std::string& activation, int seed)>;

// A sweep of kHeader + `verdicts` whose runs have the summaries `summary` gives.
std::vector<VerdictResult> verdicts_of(const std::string& verdicts, const Summaries& summary) {
  TempDir dir;
  return actlab::testing::judge_hand_made(
      dir, std::string(kHeader) + verdicts,
      [&](const auto& axes) { return summary(axes.at("activation"), std::stoi(axes.at("seed"))); });
}

nlohmann::json completed(double final_train_error, double auc) {
  return {{"status", "completed"},
          {"final_train_error", final_train_error},
          {"train_error_auc", auc},
          {"epochs_completed", 40}};
}

// summary.json's record of the target train_error <= 0.25, reached at `epoch` or never.
nlohmann::json target_25(std::optional<double> epoch) {
  const auto at = epoch ? nlohmann::json(*epoch) : nlohmann::json();
  return {{"metric", "train_error"},
          {"threshold", 0.25},
          {"reached", epoch.has_value()},
          {"epoch", at},
          {"position", at},
          {"step", nullptr},
          {"images_seen", nullptr},
          {"seconds", nullptr}};
}

const std::string kAucVerdict = R"([[verdict]]
says = "tanh's training-error area is larger"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio > 1.05"
)";

}  // namespace

TEST_CASE("a speed verdict over a group that never left chance is NOT TRAINED",
          "[unit][harness][verdict]") {
  const auto at_chance = [](const std::string& activation, int seed) {
    return activation == "tanh" ? completed(seed == 3 ? 0.9 : 0.4, 10 + seed)
                                : completed(0.3, 5 + 0.1 * seed);
  };
  const auto v = verdicts_of(kAucVerdict, at_chance).at(0);
  CHECK(v.outcome == "NOT TRAINED");
  CHECK_FALSE(v.tested);
  CHECK_THAT(v.note, Catch::Contains("a (activation=tanh): 1 of 5 runs ended at training error "
                                     "seed 3: 0.9") &&
                         Catch::Contains("trained_below = 0.85"));
  // The claim that a net does not train is judged, not refused.
  const auto exempt = verdicts_of(kAucVerdict + "expects_untrained = true\n", at_chance).at(0);
  CHECK(exempt.outcome == "HOLDS");
  // Probes are not speed or accuracy: judged whatever the training error.
  const auto probe = verdicts_of(R"([[verdict]]
says = "the same areas, read as a probe would be"
metric = "epochs_completed"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference > 1"
)",
                                 at_chance)
                         .at(0);
  CHECK(probe.outcome != "NOT TRAINED");
}

TEST_CASE("a target never reached is a lower bound that can decide a verdict",
          "[unit][harness][verdict]") {
  // relu reaches 25% at epochs 5 to 6.5; tanh never does in its 40 epochs.
  const auto never = [](const std::string& activation, int seed) {
    auto s = completed(0.3, 1);
    const bool reached = activation == "relu";
    s["targets"] = {target_25(reached ? std::optional<double>(5 + 0.25 * seed) : std::nullopt)};
    s["final_train_error"] = reached ? 0.2 : 0.3;
    return s;
  };
  const auto verdicts = verdicts_of(R"([[verdict]]
says = "ReLU reaches 25% at least 6x sooner"
metric = "train_error_0.25_epoch"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio >= 6"

[[verdict]]
says = "ReLU reaches 25% at least 10x sooner"
metric = "train_error_0.25_epoch"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio >= 10"
)",
                                    never);
  const auto& six = verdicts.at(0);
  CHECK(six.a.censored_count() == 5);
  CHECK(six.a.values == std::vector<double>(5, 40.0));
  CHECK(six.bound == ">=");
  CHECK(six.effect == Approx(40 / 5.5));
  CHECK(six.p == Approx(2.0 / 252));  // every pair certain: 1 / C(10, 5), two-sided
  CHECK(six.outcome == "HOLDS");
  CHECK_THAT(effect_text(six), Catch::Contains("ratio of means >= 7.273 (censored)"));
  CHECK_THAT(group_text(six.a), Catch::Contains(">=40 >=40"));
  // 40 epochs cannot show a 10x: the bound is below the claim, so neither side is decided.
  CHECK(verdicts.at(1).outcome == "INCONCLUSIVE");
  CHECK_THAT(verdicts.at(1).note, Catch::Contains("5 of 5 runs in a never reached the target"));
}

TEST_CASE("divergence rates are compared by Fisher's exact test", "[unit][harness][verdict]") {
  const auto diverging = [](const std::string& activation, int seed) {
    auto s = completed(0.3, 1);
    if (activation == "tanh" && seed < 4) s["status"] = "diverged";
    return s;
  };
  const std::string verdict = R"([[verdict]]
says = "tanh diverges more often"
metric = "diverged"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference > 0"
include_diverged = true
)";
  const auto v = verdicts_of(verdict, diverging).at(0);
  CHECK(v.kind == "rates");
  CHECK(v.effect == Approx(0.8));
  CHECK(v.p == Approx(0.0476190476).epsilon(1e-6));  // scipy.stats.fisher_exact([[4,1],[0,5]])
  CHECK(v.outcome == "HOLDS");
  CHECK(v.rate_b.high == Approx(0.5218).epsilon(1e-3));  // Clopper-Pearson of 0 / 5
  CHECK_THAT(effect_text(v), Catch::Contains("difference of rates 0.8 (a 0.8 ["));
}

TEST_CASE("equivalence needs the 90% interval inside the band", "[unit][harness][verdict]") {
  const auto close = [](const std::string& activation, int seed) {
    const double jitter = 0.01 * (seed - 2);
    return completed(0.3, activation == "tanh" ? 5.05 + jitter : 5.0 + 0.9 * jitter);
  };
  const std::string band = R"([[verdict]]
says = "the two train alike"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio between 0.9 and 1.1"
)";
  const auto v = verdicts_of(band, close).at(0);
  CHECK(v.kind == "equivalence");
  CHECK(v.level == Approx(0.90));
  CHECK(v.outcome == "HOLDS");
  CHECK_THAT(v.test, Catch::StartsWith("two one-sided tests (paired t"));
  const auto spread = [](const std::string& activation, int seed) {
    return completed(0.3, activation == "tanh" ? 3.0 + 1.5 * (seed % 3) : 4.5);
  };
  CHECK(verdicts_of(band, spread).at(0).outcome == "INCONCLUSIVE");
}

TEST_CASE("values without spread are not tested, diverged runs left out are named",
          "[unit][harness][verdict]") {
  // A fraction stuck at its bound in every run: the t statistic is undefined.
  const auto flat = [](const std::string& activation, int seed) {
    auto s = completed(0.3, activation == "tanh" ? 1.0 : 1.0);
    if (activation == "relu" && seed == 4) s["status"] = "diverged";
    return s;
  };
  const auto v = verdicts_of(kAucVerdict, flat).at(0);
  CHECK(v.outcome == "INCONCLUSIVE");
  CHECK_FALSE(v.tested);
  CHECK_THAT(v.note, Catch::Contains("1 diverged run in b left out (seed 4)") &&
                         Catch::Contains("no spread, no test"));
}

TEST_CASE("two arms identical in every seed are judged exactly", "[unit][harness][verdict]") {
  // An option that changes nothing (ReLU'(0) under bf16 rounding): each seed gives the same value
  // in both arms, the seeds differ. The t test's standard error is 0; its limit is exact.
  const auto same = [](const std::string&, int seed) {
    return completed(0.3 + 0.01 * seed, 5.0 + 0.1 * seed);
  };
  const auto verdicts = verdicts_of(R"([[verdict]]
says = "the two train alike"
metric = "final_train_error"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference between -0.02 and 0.02"

[[verdict]]
says = "tanh ends lower"
metric = "final_train_error"
a = { activation = "relu" }
b = { activation = "tanh" }
expect = "difference > 0.01"

[[verdict]]
says = "tanh's area is at least as large"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio >= 1"
)",
                                    same);
  // Equivalence: the sign test's one-sided p = 0.5^5 at each bound.
  CHECK(verdicts.at(0).outcome == "HOLDS");
  CHECK(verdicts.at(0).p == Approx(1.0 / 32));
  CHECK(verdicts.at(0).effect == 0);
  CHECK(verdicts.at(0).low == 0);
  CHECK(verdicts.at(0).high == 0);
  CHECK_THAT(verdicts.at(0).note, Catch::Contains("identical in every seed"));
  CHECK_THAT(verdicts.at(0).test, Catch::StartsWith("exact sign test"));
  // Superiority: two-sided 2 x 0.5^5 = 1/16, which 5 seeds cannot bring below 0.05 (Tarone).
  CHECK(verdicts.at(1).outcome == "INCONCLUSIVE");
  CHECK(verdicts.at(1).min_p == Approx(1.0 / 16));
  CHECK_THAT(verdicts.at(1).note, Catch::Contains("cannot reach significance"));
  // A ratio of exactly 1 against ">= 1" separates nothing.
  CHECK(verdicts.at(2).outcome == "INCONCLUSIVE");
  CHECK_FALSE(verdicts.at(2).tested);
  CHECK_THAT(verdicts.at(2).note, Catch::Contains("no test can separate them"));
  // One seed apart by a little: the ordinary paired test again.
  const auto almost = [&](const std::string& activation, int seed) {
    return completed(0.3 + 0.01 * seed + (activation == "tanh" && seed == 3 ? 1e-4 : 0), 5.0);
  };
  const auto tested = verdicts_of(R"([[verdict]]
says = "the two train alike"
metric = "final_train_error"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference between -0.02 and 0.02"
)",
                                  almost);
  CHECK_THAT(tested.at(0).test, Catch::StartsWith("two one-sided tests (paired t"));
  CHECK(tested.at(0).outcome == "HOLDS");
}

TEST_CASE("metric_b compares two metrics of the same runs, paired by seed",
          "[unit][harness][verdict]") {
  // What training changed in one group: a's metric against b's in the same runs. Here the
  // area is 0.1 above the final error, give or take 0.004 by seed.
  const auto runs = [](const std::string&, int seed) {
    const double jitter[] = {0.002, -0.004, 0.001, 0.003, -0.002};
    return completed(0.3 + 0.02 * seed, 0.4 + 0.02 * seed + jitter[seed]);
  };
  const auto v = verdicts_of(R"([[verdict]]
says = "ReLU's final error is at least 0.05 below its area"
metric = "final_train_error"
metric_b = "train_error_auc"
a = { activation = "relu" }
b = { activation = "relu" }
expect = "difference < -0.05"
)",
                             runs)
                     .at(0);
  CHECK(v.outcome == "HOLDS");
  CHECK(v.effect == Approx(-0.1).margin(0.002));
  CHECK_THAT(v.test, Catch::StartsWith("paired t") && Catch::Contains("5 pairs by seed"));
  CHECK(v.b.values.at(1) == Approx(0.416));  // b holds the areas, a the final errors
  CHECK(v.a.values.at(1) == Approx(0.32));
  CHECK_THAT(verdict_table({v}), Catch::Contains("b (activation=relu): train_error_auc: seeds"));
  CHECK(to_json(v)["metric_b"] == "train_error_auc");
}

TEST_CASE("a test that cannot reach significance is left out of the correction (Tarone)",
          "[unit][harness][verdict]") {
  // One seed a group: the rank test of a censored verdict can give p = 2 / C(2, 1) = 1 at best
  // (three seeds: 0.1). It is reported, and does not dilute the t test beside it.
  const auto runs = [](const std::string& activation, int seed) {
    const double noise[] = {0.02, -0.03, 0.05, -0.06, 0.01};
    auto s = completed(0.3, activation == "tanh" ? 1.06 + noise[seed] : 1.0);
    const bool reached = activation == "relu";
    s["targets"] = {target_25(reached ? std::optional<double>(5) : std::nullopt)};
    return s;
  };
  const auto verdicts = verdicts_of(R"([[verdict]]
says = "tanh's area is larger"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference > 0"

[[verdict]]
says = "relu reaches 25% sooner, on one seed"
metric = "train_error_0.25_epoch"
a = { activation = "tanh", seed = 0 }
b = { activation = "relu", seed = 0 }
expect = "ratio > 1.05"
)",
                                    runs);
  CHECK(verdicts.at(0).family == 1);
  CHECK(verdicts.at(0).outcome == "HOLDS");  // p = 0.0398 alone, not 2 x 0.0398
  CHECK(verdicts.at(1).outcome == "INCONCLUSIVE");
  CHECK_THAT(verdicts.at(1).note,
             Catch::Contains("cannot reach significance (smallest possible p 1)"));
}

TEST_CASE("Holm's correction runs over the file's verdicts", "[unit][harness][verdict]") {
  // Paired differences 0.08, 0.03, 0.11, 0, 0.07: two-sided p = 0.0398 (t = 3.0, df = 4). Alone
  // the verdict holds; asked twice in one file, each adjusted p is 2 x 0.0398 and neither holds.
  const auto runs = [](const std::string& activation, int seed) {
    const double noise[] = {0.02, -0.03, 0.05, -0.06, 0.01};
    return completed(0.3, activation == "tanh" ? 1.06 + noise[seed] : 1.0);
  };
  const std::string verdict = R"([[verdict]]
says = "tanh's area is larger"
metric = "train_error_auc"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference > 0"
)";
  const auto alone = verdicts_of(verdict, runs);
  CHECK(alone.at(0).p == Approx(0.0398).epsilon(0.01));
  CHECK(alone.at(0).family == 1);
  CHECK(alone.at(0).outcome == "HOLDS");
  const auto twice = verdicts_of(verdict + "\n" + verdict, runs);
  for (const auto& v : twice) {
    CHECK(v.family == 2);
    CHECK(v.p_adjusted == Approx(2 * v.p));
    CHECK(v.outcome == "INCONCLUSIVE");
    CHECK_THAT(v.note, Catch::Contains("Holm-adjusted p = 0.07"));
  }
}

TEST_CASE("a tiny real sweep: a net at chance is NOT TRAINED, a target it never reaches a bound",
          "[data][integration][harness][verdict]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);
  TempDir dir;
  // sigmoid at lr 1e-4 stays at chance (0.9 training error); relu at 0.01 leaves it in an epoch.
  const auto file = write_text(dir / "tiny.toml", R"(name = "tiny"
claim = "c"
source = "tests"
[base]
model = "krizhevsky4"
epochs = 3
train_subset = 1000
test_subset = 200
train_eval_images = 500
probe = "off"
augment = false
[grid]
arm = [
  { label = "relu", activation = "relu", lr = 0.01 },
  { label = "sigmoid", activation = "sigmoid", lr = 0.0001 },
]
seed = [0, 1]
[targets]
train_error = 0.8
[[verdict]]
says = "ReLU reaches a lower test error than sigmoid"
metric = "best_test_error"
a = { arm = "sigmoid" }
b = { arm = "relu" }
expect = "difference > 0.01"
[[verdict]]
says = "sigmoid needs longer than ReLU to reach 80% training error"
metric = "train_error_0.8_position"
a = { arm = "sigmoid" }
b = { arm = "relu" }
expect = "ratio > 1.05"
expects_untrained = true
)");
  const auto sweep = dir / "sweep";
  const auto result = run_actlab(fmt::format("run '{}' --out '{}'", file.string(), sweep.string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto verdicts = evaluate_verdicts(load_experiment(sweep / "experiment.toml"),
                                          classify_runs(sweep, load_results(sweep)));
  REQUIRE(verdicts.size() == 2);
  CHECK(verdicts[0].outcome == "NOT TRAINED");
  CHECK_THAT(verdicts[0].note, Catch::Contains("a (arm=sigmoid): 2 of 2 runs ended at training "
                                               "error seed 0: 0.") &&
                                   !Catch::Contains("b (arm=relu)"));
  const auto& bound = verdicts[1];
  CHECK(bound.a.censored_count() == 2);  // sigmoid never reached 80%: at least its 3 epochs
  CHECK(bound.a.values == std::vector<double>{3.0, 3.0});
  CHECK(bound.b.censored_count() == 0);
  CHECK(bound.bound == ">=");
  CHECK(bound.effect > 1);
  // Two seeds a group cannot decide a rank test (smallest two-sided p = 2 / C(4, 2) = 1/3).
  CHECK(bound.outcome == "INCONCLUSIVE");
  CHECK_THAT(result.output, Catch::Contains("NOT TRAINED") && Catch::Contains(">=3 >=3"));
}

TEST_CASE("damaged records are named and listed apart, never averaged",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto file = write_text(dir / "experiment.toml", std::string(kHeader) + kAucVerdict);
  const auto runs = expand(load_experiment(file));
  for (const auto& spec : runs) {
    nlohmann::json axes = nlohmann::json::object(), config = nlohmann::json::object();
    for (const auto& [key, value] : spec.axes) axes[key] = value;
    for (const auto& [key, value] : spec.options) config[key] = value;
    const auto run = dir / "runs" / spec.id;
    write_text(run / "run.json", nlohmann::json({{"run_id", spec.id}, {"axes", axes}}).dump());
    write_text(run / "config.json", config.dump());
    write_text(run / "summary.json", completed(0.3, 1.0).dump());
    write_text(run / "metrics.jsonl", "{\"epoch\":0}\n{\"epoch\":1}\n");
  }
  write_text(dir / "runs" / runs[0].id / "summary.json", "{\"status\": \"compl");
  write_text(dir / "runs" / runs[1].id / "metrics.jsonl", "{\"epoch\":0}\n{\"epo");
  std::filesystem::remove(dir / "runs" / runs[2].id / "metrics.jsonl");
  const RunSet set = classify_runs(dir.path(), load_results(dir.path()));
  CHECK(set.finished.size() == runs.size() - 3);
  REQUIRE(set.apart.size() == 3);
  std::map<std::string, std::string> reasons;
  for (const auto& [run, reason] : set.apart) reasons[run.id] = reason;
  CHECK_THAT(reasons[runs[0].id], Catch::StartsWith("damaged: summary.json is not JSON ("));
  CHECK(reasons[runs[1].id] == "damaged: metrics.jsonl line 2 is not JSON (half-written?)");
  CHECK(reasons[runs[2].id] == "damaged: metrics.jsonl is missing");
  // Through the command line: the verdict and collect go on, naming each damaged run.
  const auto verdict = run_actlab(fmt::format("verdict '{}'", dir.path().string()));
  CHECK(verdict.exit_code == 0);
  CHECK_THAT(verdict.output,
             Catch::Contains("damaged: metrics.jsonl is missing (not averaged): " + runs[2].id));
  const auto collect = run_actlab(fmt::format("collect '{}'", dir.path().string()));
  CHECK(collect.exit_code == 0);
  CHECK_THAT(read_file(dir / "results.csv"), Catch::Contains("metrics.jsonl is missing"));
}
