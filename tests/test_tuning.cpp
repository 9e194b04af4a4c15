#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/sweep.h"
#include "src/harness/tuning.h"
#include "src/harness/verdict_neighbours.h"
#include "src/harness/verdicts_file.h"
#include "tests/helpers.h"

// The [tune] stage: its runs, its choice, the sweep that runs it, and the neighbouring rates.

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;

namespace {

const char* kNeighbours = R"(name = "speed"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 6
[grid]
activation = ["relu", "tanh"]
seed = [0, 1]
[tune]
option = "lr"
values = [0.001, 0.01, 0.1]
metric = "train_error_auc"
neighbours = true
[tune.set]
epochs = 1
[[verdict]]
says = "tanh needs more epochs than relu"
metric = "train_error_0.25_position"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "ratio > 1"
)";

// A finished run folder under FOLDER/runs whose target train_error <= 0.25 was reached at
// `position`, or never (reached = false) in a run `position` epochs long.
void write_target_run(const std::filesystem::path& folder, const RunSpec& spec,
                      const std::string& status, double position, bool reached = true) {
  const auto dir = folder / "runs" / spec.id;
  nlohmann::json axes = nlohmann::json::object(), config = nlohmann::json::object();
  for (const auto& [key, value] : spec.axes) axes[key] = value;
  for (const auto& [key, value] : spec.options) config[key] = value;
  write_text(dir / "run.json", nlohmann::json({{"run_id", spec.id}, {"axes", axes}}).dump());
  write_text(dir / "config.json", config.dump());
  const nlohmann::json target = {{"metric", "train_error"},
                                 {"threshold", 0.25},
                                 {"reached", reached},
                                 {"epoch", nullptr},
                                 {"position", reached ? nlohmann::json(position) : nullptr},
                                 {"step", nullptr},
                                 {"images_seen", nullptr},
                                 {"seconds", nullptr}};
  write_text(dir / "summary.json", nlohmann::json({{"status", status},
                                                   {"final_train_error", reached ? 0.25 : 0.4},
                                                   {"epochs_completed", static_cast<int>(position)},
                                                   {"targets", {target}}})
                                       .dump());
  write_text(dir / "metrics.jsonl",
             fmt::format("{{\"epoch\":0,\"position\":0,\"train_error\":0.9}}\n"
                         "{{\"epoch\":{0},\"position\":{0},\"train_error\":0.3}}\n",
                         position));
}

}  // namespace

TEST_CASE("the tuning stage picks each configuration's best value, diverged runs lose",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto file = write_text(dir / "sweep" / "experiment.toml", R"(name = "tuned"
claim = "c"
[base]
model = "krizhevsky4"
epochs = 5
[grid]
activation = ["relu", "tanh"]
seed = [0, 1, 2]
[tune]
option = "lr"
values = [0.01, 0.1, 1.0]
metric = "train_error_auc"
[tune.set]
epochs = 1
)");
  const Experiment experiment = load_experiment(file);
  const auto tuning = tuning_runs(experiment);
  REQUIRE(tuning.size() == 6);  // 2 configurations x 3 candidates, seeds not repeated
  for (const auto& run : tuning) {
    const auto arguments = train_arguments(run);
    CHECK(std::count(arguments.begin(), arguments.end(), "--epochs=1") == 1);
  }
  // relu: 0.1 best, 1.0 diverged with the lowest number; tanh: 1.0 best.
  const std::map<std::string, std::pair<std::string, double>> outcome = {
      {"activation=relu,lr=0.01", {"completed", 3.0}},
      {"activation=relu,lr=0.1", {"completed", 2.0}},
      {"activation=relu,lr=1", {"diverged", 0.1}},
      {"activation=tanh,lr=0.01", {"completed", 3.0}},
      {"activation=tanh,lr=0.1", {"completed", 2.5}},
      {"activation=tanh,lr=1", {"completed", 1.5}}};
  const auto tune_dir = dir / "sweep" / "tune";
  for (const auto& run : tuning) {
    std::vector<std::string> parts;
    for (const auto& [key, value] : run.axes) parts.push_back(key + "=" + value);
    const auto& [status, auc] = outcome.at(join(parts, ","));
    write_text(tune_dir / "runs" / run.id / "config.json", "{}");
    write_text(tune_dir / "runs" / run.id / "summary.json",
               nlohmann::json({{"status", status}, {"train_error_auc", auc}}).dump());
  }
  const TuneChoice choice = choose_tuned_values(experiment, tune_dir, tuning);
  CHECK(choice.at("activation=relu") == "0.1");
  CHECK(choice.at("activation=tanh") == "1");
  CHECK(read_tune_choice(dir / "sweep") == choice);
  // The grid then runs every seed at its configuration's chosen value.
  const auto runs = expand(experiment, "", &choice);
  REQUIRE(runs.size() == 6);
  for (const auto& run : runs) {
    const auto arguments = train_arguments(run);
    const bool relu = run.axes[0].second == "relu";
    CHECK(std::count(arguments.begin(), arguments.end(), relu ? "--lr=0.1" : "--lr=1") == 1);
    CHECK(std::count(arguments.begin(), arguments.end(), "--epochs=5") == 1);
  }
  // A tuning run that has not finished stops the choice with the way out.
  std::filesystem::remove(tune_dir / "runs" / tuning[0].id / "summary.json");
  CHECK_THROWS_WITH(choose_tuned_values(experiment, tune_dir, tuning),
                    Catch::Contains("has not finished") && Catch::Contains("run the sweep again"));
}

TEST_CASE("a tuned sweep runs its tuning stage, then the grid at the chosen values",
          "[data][integration][harness]") {
  REQUIRE(actlab::testing::have_cifar10());
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);
  TempDir dir;
  const auto file = write_text(dir / "tuned.toml", R"(name = "tuned"
claim = "c"
source = "tests"
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 200
test_subset = 100
train_eval_images = 100
probe = "off"
[grid]
activation = ["relu"]
seed = [0, 1]
[tune]
option = "lr"
values = [0.001, 0.02]
metric = "train_error_auc"
)");
  const auto sweep = dir / "sweep";
  const auto result = run_actlab(fmt::format("run '{}' --out '{}'", file.string(), sweep.string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("tuned (tuning): 2 runs") &&
                                Catch::Contains("tuned activation=relu: lr = ") &&
                                Catch::Contains("[tuning 1/2 done"));
  // Two candidates: whichever wins is at an end of the list.
  CHECK_THAT(result.output, Catch::Contains("warning: activation=relu: lr = ") &&
                                Catch::Contains("widen the list"));
  const auto choice = read_tune_choice(sweep);
  REQUIRE(choice.count("activation=relu") == 1);
  const auto results = load_results(sweep);
  REQUIRE(results.size() == 2);
  for (const auto& run : results) {
    CHECK(format_number(run.config["lr"].get<double>()) == choice.at("activation=relu"));
  }
  // Resuming redoes neither stage; the runs count as the current grid.
  const auto again = run_actlab(fmt::format("run '{}' --out '{}'", file.string(), sweep.string()));
  CHECK_THAT(again.output, Catch::Contains("2 runs, 2 done, 0 to run"));
  CHECK(classify_runs(sweep, load_results(sweep)).finished.size() == 2);

  // [tune] neighbours: then seed 0 at the candidate next to the choice (one: a 2-value list).
  const auto with = write_text(dir / "neighbours.toml", read_file(file) + "neighbours = true\n");
  const auto next = run_actlab(fmt::format("run '{}' --out '{}'", with.string(), sweep.string()));
  INFO(next.output);
  REQUIRE(next.exit_code == 0);
  CHECK_THAT(next.output, Catch::Contains("(neighbouring rates): 1 runs"));
  const auto neighbours = load_results(sweep / "neighbours");
  REQUIRE(neighbours.size() == 1);
  CHECK(neighbours[0].summary.value("status", "") == "completed");
  CHECK(format_number(neighbours[0].config["lr"].get<double>()) != choice.at("activation=relu"));
  CHECK(neighbours[0].config["seed"].get<int>() == 0);
}

TEST_CASE("the neighbouring rates run each configuration's first seed next to its choice",
          "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_text(dir / "experiment.toml", kNeighbours));
  // relu's choice is inside the list (two neighbours), tanh's at its end (one).
  const TuneChoice choice = {{"activation=relu", "0.01"}, {"activation=tanh", "0.1"}};
  const auto runs = neighbour_runs(experiment, "", choice);
  REQUIRE(runs.size() == 3);
  std::set<std::string> seen;
  std::set<std::string> grid_ids;
  for (const auto& run : expand(experiment, "", &choice)) grid_ids.insert(run.id);
  for (const auto& run : runs) {
    std::map<std::string, std::string> axes(run.axes.begin(), run.axes.end());
    seen.insert(axes.at("activation") + "@" + axes.at("lr"));
    CHECK(axes.at("seed") == "0");
    CHECK(grid_ids.count(run.id) == 0);
    const auto arguments = train_arguments(run);
    CHECK(std::count(arguments.begin(), arguments.end(), "--epochs=6") == 1);  // not [tune.set]
    CHECK(std::count(arguments.begin(), arguments.end(), "--lr=" + axes.at("lr")) == 1);
  }
  CHECK(seen == std::set<std::string>{"relu@0.001", "relu@0.1", "tanh@0.01"});
  // Without neighbours = true, or before tuning chose anything: none.
  CHECK(neighbour_runs(experiment, "", {}).empty());
  std::string plain = kNeighbours;
  plain.replace(plain.find("neighbours = true"), 17, "neighbours = false");
  CHECK(neighbour_runs(load_experiment(write_text(dir / "plain.toml", plain)), "", choice).empty());
  std::string wrong = kNeighbours;
  wrong.replace(wrong.find("neighbours = true"), 17, "neighbours = 1");
  CHECK_THROWS_WITH(load_experiment(write_text(dir / "wrong.toml", wrong)),
                    Catch::Contains("wrong.toml:13:") &&
                        Catch::Contains("[tune] neighbours must be true or false"));
}

TEST_CASE("a verdict shows its effect at the neighbouring rates, bounds where censored",
          "[unit][harness][verdict]") {
  TempDir dir;
  const auto sweep = dir / "sweep";
  const Experiment experiment = load_experiment(write_text(sweep / "experiment.toml", kNeighbours));
  write_text(sweep / "tune" / "choice.json",
             R"({"choices": {"activation=relu": {"value": "0.01"},
                             "activation=tanh": {"value": "0.01"}}})");
  const TuneChoice choice = read_tune_choice(sweep);
  // Grid: relu reaches 25% at 5 (seed 0) and 6, tanh at 30 and 33.
  for (const auto& run : expand(experiment, "", &choice)) {
    const bool relu = run.axes[0].second == "relu";
    const bool seed0 = run.axes[1].second == "0";
    write_target_run(sweep, run, "completed", relu ? (seed0 ? 5 : 6) : (seed0 ? 30 : 33));
  }
  // Neighbours (seed 0): relu at 0.001 reaches it at 10, relu at 0.1 diverged; tanh at 0.001
  // never reaches it in 60 epochs (a lower bound), tanh at 0.1 at 20.
  for (const auto& run : neighbour_runs(experiment, "", choice)) {
    std::map<std::string, std::string> axes(run.axes.begin(), run.axes.end());
    const std::string key = axes.at("activation") + "@" + axes.at("lr");
    if (key == "relu@0.001") write_target_run(sweep / "neighbours", run, "completed", 10);
    if (key == "relu@0.1") write_target_run(sweep / "neighbours", run, "diverged", 2);
    if (key == "tanh@0.001") write_target_run(sweep / "neighbours", run, "completed", 60, false);
    if (key == "tanh@0.1") write_target_run(sweep / "neighbours", run, "completed", 20);
  }
  // A neighbour of an older choice is not the current one's: ignored.
  RunSpec old;
  old.id = "activation-relu_seed-0_lr-1_00000000";
  old.axes = {{"activation", "relu"}, {"seed", "0"}, {"lr", "1"}};
  old.options = {{"activation", "relu"}, {"seed", "0"}, {"lr", "1"}};
  write_target_run(sweep / "neighbours", old, "completed", 1);

  const auto verdicts =
      evaluate_sweep_verdicts(experiment, sweep, classify_runs(sweep, load_results(sweep)));
  REQUIRE(verdicts.size() == 1);
  const auto& v = verdicts[0];
  REQUIRE(v.neighbours.size() == 4);
  std::map<std::string, const NeighbourEffect*> by;
  for (const auto& n : v.neighbours) by[n.side + "@" + n.value] = &n;
  REQUIRE(by.size() == 4);
  // tanh moved: a = the neighbour, b = relu seed 0 at its choice (5).
  CHECK(*by.at("a@0.1")->effect == Approx(20.0 / 5));
  CHECK(by.at("a@0.1")->bound.empty());
  CHECK(*by.at("a@0.001")->effect == Approx(60.0 / 5));
  CHECK(by.at("a@0.001")->bound == ">=");  // never reached: at least 60 / 5
  CHECK(by.at("a@0.001")->a_censored);
  // relu moved: a = tanh seed 0 at its choice (30).
  CHECK(*by.at("b@0.001")->effect == Approx(30.0 / 10));
  CHECK_FALSE(by.at("b@0.1")->effect);
  CHECK(by.at("b@0.1")->missing == "neighbour run: diverged");
  const std::string text = neighbours_text(v);
  CHECK_THAT(text, Catch::Contains("lr 0.001 for a (seed 0): >=60 / 5 = >=12") &&
                       Catch::Contains("lr 0.1 for b (seed 0): neighbour run: diverged"));
  // The verdict itself is the grid's: 2 seeds a side, untouched by the neighbours.
  CHECK(v.a.values == std::vector<double>{30, 33});
  CHECK(v.b.values == std::vector<double>{5, 6});
  // The same words in verdicts.json, which the report reads.
  write_verdicts(sweep);
  const auto json = read_json_or_empty(sweep / "verdicts.json");
  CHECK(json["verdicts"][0]["neighbours"].size() == 4);
  CHECK(json["verdicts"][0]["shown"]["neighbours"].get<std::string>() == text);
}

TEST_CASE("neighbour effects keep to their verdict's scope, for ratios and differences alike",
          "[unit][harness][verdict]") {
  // Two scopes (weight_decay), a ratio and a difference verdict; in scope 0.0001 relu's grid
  // runs never reach the target (censored at 8 epochs), so its partners are upper bounds.
  std::string text = kNeighbours;
  text.replace(text.find("seed = [0, 1]"), 13, "weight_decay = [0, 0.0001]\nseed = [0, 1]");
  text.replace(text.find("expect = \"ratio > 1\""), 20,
               "expect = \"ratio > 1\"\nper = [\"weight_decay\"]");
  text += R"toml([[verdict]]
says = "tanh needs more epochs than relu (difference)"
metric = "train_error_0.25_position"
a = { activation = "tanh" }
b = { activation = "relu" }
expect = "difference > 0"
per = ["weight_decay"]
)toml";
  TempDir dir;
  const auto sweep = dir / "sweep";
  const Experiment experiment = load_experiment(write_text(sweep / "experiment.toml", text));
  const TuneChoice choice = {{"activation=relu,weight_decay=0", "0.01"},
                             {"activation=relu,weight_decay=0.0001", "0.01"},
                             {"activation=tanh,weight_decay=0", "0.01"},
                             {"activation=tanh,weight_decay=0.0001", "0.01"}};
  nlohmann::json record = {{"choices", nlohmann::json::object()}};
  for (const auto& [key, value] : choice) record["choices"][key] = {{"value", value}};
  write_text(sweep / "tune" / "choice.json", record.dump());
  for (const auto& run : expand(experiment, "", &choice)) {
    std::map<std::string, std::string> axes(run.axes.begin(), run.axes.end());
    const bool relu = axes.at("activation") == "relu", seed0 = axes.at("seed") == "0";
    if (axes.at("weight_decay") == "0")
      write_target_run(sweep, run, "completed", relu ? (seed0 ? 5 : 6) : (seed0 ? 30 : 33));
    else if (relu)
      write_target_run(sweep, run, "completed", 8, false);
    else
      write_target_run(sweep, run, "completed", seed0 ? 40 : 44);
  }
  for (const auto& run : neighbour_runs(experiment, "", choice)) {
    std::map<std::string, std::string> axes(run.axes.begin(), run.axes.end());
    const std::string key =
        axes.at("activation") + "@" + axes.at("lr") + "/wd" + axes.at("weight_decay");
    const auto folder = sweep / "neighbours";
    if (key == "tanh@0.1/wd0") write_target_run(folder, run, "completed", 20);
    if (key == "tanh@0.001/wd0") write_target_run(folder, run, "completed", 50);
    if (key == "relu@0.1/wd0") write_target_run(folder, run, "completed", 60, false);  // b censored
    if (key == "relu@0.001/wd0") write_target_run(folder, run, "completed", 10);
    if (key == "tanh@0.1/wd0.0001") write_target_run(folder, run, "completed", 60, false);
    if (key == "tanh@0.001/wd0.0001") write_target_run(folder, run, "completed", 24);
    // A neighbour still running (killed): "not finished" is no effect.
    if (key == "relu@0.001/wd0.0001") write_target_run(folder, run, "running", 3);
  }
  const auto verdicts =
      evaluate_sweep_verdicts(experiment, sweep, classify_runs(sweep, load_results(sweep)));
  REQUIRE(verdicts.size() == 4);  // 2 verdicts x 2 scopes
  std::map<std::string, const NeighbourEffect*> by;
  for (const auto& v : verdicts) {
    for (const auto& n : v.neighbours)
      by[v.spec.effect + "/" + v.scope + "/" + n.side + "@" + n.value] = &n;
  }
  // Scope 0: partners are scope 0's seed-0 runs (relu 5, tanh 30), never scope 0.0001's.
  CHECK(*by.at("ratio/weight_decay=0/a@0.1")->effect == Approx(20.0 / 5));
  CHECK(*by.at("difference/weight_decay=0/a@0.1")->effect == Approx(20.0 - 5));
  CHECK(*by.at("ratio/weight_decay=0/b@0.001")->effect == Approx(30.0 / 10));
  CHECK(*by.at("difference/weight_decay=0/b@0.001")->effect == Approx(30.0 - 10));
  // b censored (relu never reached it in 60): 30 / >=60 is at most 0.5; 30 - >=60 at most -30.
  CHECK(*by.at("ratio/weight_decay=0/b@0.1")->effect == Approx(0.5));
  CHECK(by.at("ratio/weight_decay=0/b@0.1")->bound == "<=");
  CHECK(*by.at("difference/weight_decay=0/b@0.1")->effect == Approx(-30));
  CHECK(by.at("difference/weight_decay=0/b@0.1")->bound == "<=");
  // Scope 0.0001: relu's seed 0 is censored at 8, so tanh's neighbours give upper bounds...
  CHECK(*by.at("ratio/weight_decay=0.0001/a@0.001")->effect == Approx(24.0 / 8));
  CHECK(by.at("ratio/weight_decay=0.0001/a@0.001")->bound == "<=");
  // ... or nothing when both are censored; unrun neighbours say so.
  CHECK_FALSE(by.at("ratio/weight_decay=0.0001/a@0.1")->effect);
  CHECK(by.at("ratio/weight_decay=0.0001/a@0.1")->missing == "both censored");
  CHECK(by.at("ratio/weight_decay=0.0001/b@0.001")->missing == "neighbour run: not finished");
}

TEST_CASE("a choice at an end of the candidates is flagged, and neighbours need ordered values",
          "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_text(dir / "e.toml", kNeighbours));
  const auto lines =
      choices_at_an_end(experiment, "", {{"activation=relu", "0.01"}, {"activation=tanh", "0.1"}});
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("activation=tanh: lr = 0.1 is the last") &&
                           Catch::Contains("widen"));
  std::string unordered = kNeighbours;
  unordered.replace(unordered.find("[0.001, 0.01, 0.1]"), 18, "[0.01, 0.001, 0.1]");
  CHECK_THROWS_WITH(
      load_experiment(write_text(dir / "u.toml", unordered)),
      Catch::Contains("u.toml:11:") && Catch::Contains("increasing or decreasing order"));
  // Decreasing is an order too.
  std::string falling = kNeighbours;
  falling.replace(falling.find("[0.001, 0.01, 0.1]"), 18, "[0.1, 0.01, 0.001]");
  CHECK_NOTHROW(load_experiment(write_text(dir / "f.toml", falling)));
}
