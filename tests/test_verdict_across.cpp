// Values of a seed picked over the grid (verdict_across.h): the largest rate at which each seed
// trains and each seed's best rate, judged by the exact rank test, with the grid's ends and the
// runs that did not train said, not hidden.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "src/harness/experiment.h"
#include "src/harness/verdict.h"
#include "tests/hand_made_sweep.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::judge_hand_made;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const std::string kAcrossGrid = R"(name = "across"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 3
[grid]
activation = ["relu", "sigmoid"]
lr = [0.001, 0.01, 0.1, 1.0]
seed = [1, 2, 3, 4, 5]
[targets]
train_error = 0.25
)";

// A run that reached the target (final error 0.2) or did not (0.9), with its training-error area.
nlohmann::json across_summary(bool reached, double auc, const std::string& status = "completed") {
  auto summary = actlab::testing::target_summary(reached, status);
  summary["train_error_auc"] = auc;
  return summary;
}

std::string across_verdict(const std::string& metric) {
  return "[[verdict]]\nsays = \"x\"\nmetric = \"" + metric +
         "\"\na = { activation = \"relu\" }\nb = { activation = \"sigmoid\" }\nexpect = \"ratio < "
         "1\"\n";
}

}  // namespace

TEST_CASE("the largest rate at which each seed trains, a bound at the grid's top",
          "[unit][harness][verdict]") {
  // relu trains up to lr 0.1 (seed 3: up to 0.01; at lr 1 seed 2 diverges after reaching it,
  // seed 4 reaches it and falls back to chance: neither trained), sigmoid at every rate from
  // 0.01 up, the grid's top included.
  const auto runs = [](const auto& axes) {
    const double lr = std::stod(axes.at("lr"));
    if (axes.at("activation") == "sigmoid") return across_summary(lr >= 0.01, 1.0);
    if (lr == 1.0 && axes.at("seed") == "2") return across_summary(true, 1.0, "diverged");
    auto s = across_summary(lr < (axes.at("seed") == "3" ? 0.05 : 0.5), 1.0);
    if (lr == 1.0 && axes.at("seed") == "4") {
      s = across_summary(true, 1.0);
      s["final_train_error"] = 0.9;
    }
    return s;
  };
  const std::string largest = across_verdict("largest lr with train_error_0.25_reached");
  TempDir dir;
  const auto v = judge_hand_made(dir, kAcrossGrid + largest, runs).at(0);
  CHECK(v.a.values == std::vector<double>{0.1, 0.1, 0.01, 0.1, 0.1});
  CHECK(v.a.censored == std::vector<bool>(5, false));
  CHECK(v.b.values == std::vector<double>(5, 1.0));
  CHECK(v.b.censored == std::vector<bool>(5, true));  // at least 1: the grid ends there
  CHECK(v.estimand == "ratio of geometric means");
  CHECK(v.effect == Approx(std::pow(10.0, -1.2)));  // (0.1^4 * 0.01)^(1/5) / 1
  CHECK(v.bound == "<=");
  // scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method="exact") -> 2 / 252
  CHECK(v.p == Approx(2.0 / 252));
  CHECK(v.outcome == "HOLDS");
  CHECK_THAT(v.note, Catch::Contains("5 of 5 runs in b at the grid's largest value"));

  // A seed that trains at no rate did not train; one with a run still going has no value.
  const auto holes = [&](const auto& axes) {
    auto s = runs(axes);
    if (axes.at("activation") == "relu" && axes.at("seed") == "5") s = across_summary(false, 1.0);
    if (axes.at("activation") == "sigmoid" && axes.at("seed") == "1" && axes.at("lr") == "0.1")
      s["status"] = "running";
    return s;
  };
  TempDir holes_dir;
  const auto h = judge_hand_made(holes_dir, kAcrossGrid + largest, holes).at(0);
  CHECK(h.outcome == "NOT TRAINED");
  CHECK_THAT(h.note, Catch::Contains("a (activation=relu): 1 of 5 seeds did not train (seed 5: "
                                     "trains at no lr)"));
  CHECK(h.b.seeds == std::vector<std::string>{"2", "3", "4", "5"});
}

TEST_CASE("each seed's best rate: inside the grid, next to the rates that diverge, or at an end",
          "[unit][harness][verdict]") {
  // relu's area is lowest at lr 0.1, next to lr 1 where it diverges (area 0 would win if a
  // diverged run could); sigmoid's at 0.01.
  const auto best_at = [](double best, double lr) { return 0.5 + std::abs(std::log10(lr / best)); };
  const auto inside = [&](const auto& axes) {
    const double lr = std::stod(axes.at("lr"));
    if (axes.at("activation") == "relu") {
      return lr == 1.0 ? across_summary(false, 0.0, "diverged")
                       : across_summary(true, best_at(0.1, lr));
    }
    return across_summary(true, best_at(0.01, lr));
  };
  const std::string lowest = across_verdict("lr with lowest train_error_auc");
  TempDir dir;
  const auto v = judge_hand_made(dir, kAcrossGrid + lowest, inside);
  REQUIRE(v.size() == 1);
  CHECK(v[0].a.values == std::vector<double>(5, 0.1));
  CHECK(v[0].b.values == std::vector<double>(5, 0.01));
  CHECK(v[0].effect == Approx(10.0));
  CHECK(v[0].p == Approx(2.0 / 252));
  CHECK(v[0].outcome == "FAILS");  // expected ratio < 1: relu's best rate is the larger here

  // Sigmoid's seed 4 is best at lr 0.001, the grid's bottom: no value, and the verdict says why;
  // seed 5 at lr 1, the top: at least 1.
  const auto edge = [&](const auto& axes) {
    const double lr = std::stod(axes.at("lr"));
    if (axes.at("activation") == "sigmoid" && axes.at("seed") == "4")
      return across_summary(true, best_at(0.001, lr));
    if (axes.at("activation") == "sigmoid" && axes.at("seed") == "5")
      return across_summary(true, best_at(1.0, lr));
    return inside(axes);
  };
  TempDir edge_dir;
  const auto e = judge_hand_made(edge_dir, kAcrossGrid + lowest, edge).at(0);
  CHECK(e.outcome == "INCONCLUSIVE");
  CHECK_THAT(e.note, Catch::Contains("seed 4: best at lr 0.001, the grid's smallest value (widen "
                                     "the grid)"));
  CHECK(e.b.values == std::vector<double>{0.01, 0.01, 0.01, 1.0});
  CHECK(e.b.censored == std::vector<bool>{false, false, false, true});

  // A seed whose best run never left chance: no speed to compare.
  const auto stuck = [&](const auto& axes) {
    auto s = inside(axes);
    if (axes.at("activation") == "relu" && axes.at("seed") == "2") s["final_train_error"] = 0.9;
    return s;
  };
  TempDir stuck_dir;
  const auto n = judge_hand_made(stuck_dir, kAcrossGrid + lowest, stuck).at(0);
  CHECK(n.outcome == "NOT TRAINED");
  CHECK_THAT(n.note, Catch::Contains("a (activation=relu): 1 of 5 seeds did not train (seed 2: "
                                     "0.9 at its best lr 0.1)"));
}

TEST_CASE("a value picked over the grid is refused where it cannot mean anything",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto refused = [&](const std::string& text, const std::string& why) {
    CHECK_THROWS_WITH(load_experiment(write_text(dir / "e.toml", kAcrossGrid + text)),
                      Catch::Contains(why));
  };
  refused(across_verdict("largest lr with train_error_auc"), "'largest AXIS with' needs a rate");
  refused(across_verdict("lr with lowest diverged"), "'AXIS with lowest' needs a value");
  refused(across_verdict("largest width with diverged"),
          "picks over width, which the grid does not vary");
  refused(across_verdict("largest lr with diverged") + "include_diverged = false\n",
          "remove include_diverged = false");
  refused(
      "[[verdict]]\nsays = \"x\"\nmetric = \"lr with lowest train_error_auc\"\n"
      "a = { activation = \"relu\", lr = 0.01 }\nb = { activation = \"sigmoid\" }\n"
      "expect = \"ratio < 1\"\n",
      "picks over lr: remove lr = 0.01 from the group");
}
