// Shares of a grid as rates: TARGET_reached (1 when a run reached the target and did not
// diverge), judged by Fisher's exact test, and `pool`, which lets a rate's group pool axes.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "tests/hand_made_sweep.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::target_summary;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const char* kGrid = R"(name = "rates"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 3
[grid]
activation = ["relu", "tanh"]
lr = [0.01, 0.1]
seed = [1, 2, 3, 4, 5]
[targets]
train_error = 0.25
)";

// What a run's summary.json holds, from its grid values.
using Summary = actlab::testing::HandMadeSummary;

std::vector<VerdictResult> judge(const TempDir& dir, const std::string& verdicts,
                                 const Summary& summary) {
  return actlab::testing::judge_hand_made(dir, kGrid + verdicts, summary);
}

}  // namespace

TEST_CASE("the share of a grid that reaches a target is a rate, and pool pools only what it names",
          "[unit][harness][verdict]") {
  // relu reaches 25% at both rates in every seed; tanh only at lr 0.01 in seed 1, and at lr 0.1
  // seed 2 reaches it and then diverges (not trained, as the trainability map counts it).
  const Summary trains = [](const auto& axes) {
    const bool relu = axes.at("activation") == "relu";
    if (!relu && axes.at("lr") == "0.1" && axes.at("seed") == "2")
      return target_summary(true, "diverged");
    return target_summary(relu || (axes.at("lr") == "0.01" && axes.at("seed") == "1"));
  };
  const std::string verdict = R"([[verdict]]
says = "relu trains in more of the grid"
metric = "train_error_0.25_reached"
a = { activation = "relu" }
b = { activation = "tanh" }
expect = "difference > 0"
)";
  TempDir dir;
  // Without pool, a group spanning two rates is refused, naming the fix.
  CHECK_THROWS_WITH(
      judge(dir, verdict, trains),
      Catch::Contains("pools runs with lr = 0.01, 0.1") && Catch::Contains("or to pool"));
  TempDir pooled_dir;
  const auto v = judge(pooled_dir, verdict + "pool = [\"lr\"]\n", trains).at(0);
  CHECK(v.kind == "rates");
  CHECK(v.a.values == std::vector<double>(10, 1.0));
  CHECK(std::count(v.b.values.begin(), v.b.values.end(), 1.0) == 1);  // the diverged run is 0
  CHECK(v.b.values.size() == 10);  // counted without include_diverged: a rate implies it
  CHECK(v.effect == Approx(0.9));
  // scipy.stats.fisher_exact([[10, 0], [1, 9]]) -> p = 1.19076e-04
  CHECK(v.p == Approx(1.19076e-4).epsilon(1e-4));
  CHECK(v.outcome == "HOLDS");
  CHECK_THAT(
      verdict_table({v}),
      Catch::Contains("1 of 10 runs pooled over the grid (seeds 1 2 3 4 5); mean 0.1, n=10"));
  // Per rate instead: relu 5 of 5 against tanh 1 of 5 at 0.01, 0 of 5 at 0.1.
  TempDir per_dir;
  const auto per = judge(per_dir, verdict + "per = [\"lr\"]\n", trains);
  REQUIRE(per.size() == 2);
  CHECK(per.at(0).b.values == std::vector<double>{1, 0, 0, 0, 0});
  CHECK(per.at(1).b.values == std::vector<double>(5, 0.0));
}

TEST_CASE("a rate must count diverged runs, pool is for rates, and a ratio is no rate",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto refused = [&](const std::string& verdict, const std::string& why) {
    CHECK_THROWS_WITH(load_experiment(write_text(dir / "e.toml", kGrid + verdict)),
                      Catch::Contains(why));
  };
  const std::string groups =
      "a = { activation = \"relu\", lr = 0.01 }\nb = { activation = \"tanh\", lr = 0.01 }\n";
  refused("[[verdict]]\nsays = \"x\"\nmetric = \"train_error_0.25_reached\"\n" + groups +
              "expect = \"difference > 0\"\ninclude_diverged = false\n",
          "remove include_diverged = false");
  refused("[[verdict]]\nsays = \"x\"\nmetric = \"train_error_0.3_reached\"\n" + groups +
              "expect = \"difference > 0\"\ninclude_diverged = true\n",
          "no such target in [targets]");
  refused("[[verdict]]\nsays = \"x\"\nmetric = \"final_train_error\"\n" + groups +
              "expect = \"difference > 0\"\npool = [\"seed\"]\n",
          "pool is for a rate over a grid");
  refused("[[verdict]]\nsays = \"x\"\nmetric = \"train_error_auc\"\n" + groups +
              "expect = \"difference > 0\"\npool = [\"depth\"]\n",
          "pool is for a rate over a grid");
  // A ratio whose denominator ends in _reached is a ratio of values, not a rate: no pool.
  refused("[[verdict]]\nsays = \"x\"\nmetric = \"final_train_error / train_error_0.25_reached\"\n" +
              groups + "expect = \"ratio > 1\"\npool = [\"seed\"]\n",
          "pool is for a rate over a grid");
}
