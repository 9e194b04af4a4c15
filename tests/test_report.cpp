// `actlab report`: the numbers handed to the drawing side (report.json) for a hand-written sweep
// with known answers (the drawn report in a browser: test_report_browser.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/experiment.h"
#include "src/harness/verdicts_file.h"
#include "src/report/draw.h"
#include "src/report/report_data.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using nlohmann::json;

namespace report_fixture {

const char* kTiny = R"(name = "tiny"
claim = "A hand-written sweep."
source = "tests"
[base]
model = "krizhevsky4"
epochs = 2
[grid]
activation = ["relu", "sigmoid"]
seed = [0, 1, 2]
[[verdict]]
says = "sigmoid ends with a higher test error than relu"
metric = "final_test_error"
a = { activation = "sigmoid" }
b = { activation = "relu" }
expect = "difference > 0"
)";

void write_record_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// One run's records. Dyadic numbers throughout, so means are exact in binary.
struct HandRun {
  std::string status = "completed";
  std::vector<double> train, test, seconds;     // at epochs 0, 1, 2 (steps 0, 10, 20)
  std::vector<std::vector<double>> dead, grad;  // [layer][epoch]
  bool mid_epoch = false;                       // an extra evaluation at epoch 0.5
  std::vector<std::vector<double>> path = {};   // [layer][epoch] path efficiency; NaN: null
};

void write_run(const std::filesystem::path& sweep, const RunSpec& spec, const std::string& id,
               const HandRun& run) {
  const auto dir = sweep / "runs" / id;
  json axes = json::object();
  for (const auto& [key, value] : spec.axes) axes[key] = value;
  write_record_file(
      dir / "run.json",
      json({{"run_id", id}, {"experiment", "tiny"}, {"profile", ""}, {"axes", axes}}).dump());
  json config = {{"model", "krizhevsky4"},
                 {"epochs", 2},
                 {"device", "cpu"},
                 {"out_dir", dir.string()},
                 {"resolved", {{"git_commit", "abc1234"}, {"libtorch_version", "1.13.1"}}}};
  for (const auto& [key, value] : spec.axes)
    config[key] = key == "seed" ? json(std::stoi(value)) : json(value);
  write_record_file(dir / "config.json", config.dump());
  std::string metrics;
  for (size_t e = 0; e < run.train.size(); ++e) {
    metrics += json({{"epoch", e},
                     {"step", 10 * e},
                     {"train_error", run.train[e]},
                     {"test_error", run.test[e]},
                     {"seconds", run.seconds[e]}})
                   .dump() +
               "\n";
    if (e == 0 && run.mid_epoch) {
      metrics += json({{"epoch", 0.5},
                       {"step", 5},
                       {"train_error", 0.75},
                       {"test_error", 0.75},
                       {"seconds", 5.0},
                       {"a_future_field", true}})
                     .dump() +
                 "\n";
    }
  }
  write_record_file(dir / "metrics.jsonl", metrics);
  std::string layers;
  const char* names[] = {"features.0.act", "classifier.act"};
  for (size_t e = 0; e < run.train.size(); ++e) {
    if (e > 0) {  // a K-step probe inside the epoch: not an epoch-end probe, never in the maps
      for (int i = 0; i < 2; ++i) {
        layers += json({{"epoch", e},
                        {"step", 10 * e - 5},
                        {"index", i},
                        {"layer", names[i]},
                        {"dead_fraction", 0.999},
                        {"grad_act_rms", 99.0}})
                      .dump() +
                  "\n";
      }
    }
    for (int i = 0; i < 2; ++i) {
      json record = {{"epoch", e},
                     {"step", 10 * e},
                     {"index", i},
                     {"layer", names[i]},
                     {"dead_fraction", run.dead[i][e]},
                     {"sparsity", run.dead[i][e]},
                     {"saturation_fraction", 0.0},
                     {"grad_act_rms", run.grad[i][e]}};
      if (!run.path.empty()) {  // as the probe writes it: null before the first step
        const double path = run.path[i][e];
        record["consumer_weight_path_efficiency"] = std::isnan(path) ? json(nullptr) : json(path);
        record["consumer_weight_update_cosine"] =
            std::isnan(path) ? json(nullptr) : json(path - 0.125);
      }
      layers += record.dump() + "\n";
    }
  }
  write_record_file(dir / "layers.jsonl", layers);
  const double final_test = run.test.empty() ? 1.0 : run.test.back();
  // The convergence target train_error <= 0.5: first evaluation at or below it.
  json target = {{"metric", "train_error"},
                 {"threshold", 0.5},
                 {"reached", false},
                 {"epoch", nullptr},
                 {"seconds", nullptr}};
  for (size_t e = 0; e < run.train.size(); ++e) {
    if (run.train[e] <= 0.5) {
      target = {{"metric", "train_error"},
                {"threshold", 0.5},
                {"reached", true},
                {"epoch", e},
                {"seconds", run.seconds[e]}};
      break;
    }
  }
  write_record_file(dir / "summary.json", json({{"status", run.status},
                                                {"epochs_completed", run.train.size() - 1},
                                                {"final_test_error", final_test},
                                                {"targets", {target}}})
                                              .dump());
}

const HandRun kRelu0 = {"completed",
                        {0.875, 0.5, 0.25},
                        {0.875, 0.625, 0.5},
                        {0, 10, 20},
                        {{0, 0.25, 0.5}, {0, 0, 0.25}},
                        {{0.25, 0.5, 0.5}, {1, 1, 1}},
                        true,
                        {{NAN, 0.5, 0.25}, {NAN, 0.75, 0.5}}};
const HandRun kRelu1 = {"completed",
                        {0.875, 0.75, 0.5},
                        {0.875, 0.75, 0.625},
                        {0, 12, 24},
                        {{0, 0.5, 0.5}, {0, 0.25, 0.25}},
                        {{0.25, 0.25, 0.75}, {1, 1, 1}},
                        false,
                        {{NAN, 0.25, 0.25}, {NAN, 0.25, NAN}}};  // epoch 2: one layer only
const HandRun kSigmoid0 = {
    "completed", {0.875, 0.875, 0.75},   {0.875, 0.875, 0.875},
    {0, 8, 16},  {{0, 0, 0}, {0, 0, 0}}, {{0.0625, 0.0625, 0.0625}, {0.5, 0.5, 0.5}}};
const HandRun kSigmoid1 = {
    "completed", {0.875, 0.75, 0.75},    {0.875, 0.875, 0.75},
    {0, 8, 16},  {{0, 0, 0}, {0, 0, 0}}, {{0.0625, 0.0625, 0.0625}, {0.5, 0.5, 0.5}}};
// Not averaged: a killed relu run (start-time summary), a diverged sigmoid run, a stale folder.
const HandRun kKilled = {"running", {0.875}, {0.875}, {0}, {{0}, {0}}, {{0.25}, {1}}};
const HandRun kDiverged = {"diverged", {0.875, 0.875},   {0.875, 0.875},
                           {0, 9},     {{0, 0}, {0, 0}}, {{0.0625, 0.0625}, {0.5, 0.5}}};
const HandRun kStale = {"completed", {0.125, 0.125, 0.125},  {0.125, 0.125, 0.125},
                        {0, 1, 2},   {{1, 1, 1}, {1, 1, 1}}, {{1, 1, 1}, {1, 1, 1}}};

struct HandSweep {
  TempDir dir;
  std::filesystem::path sweep;
  std::vector<RunSpec> runs;  // relu 0 1 2, sigmoid 0 1 2
  std::string stale_id = "activation-relu_seed-7_0badc0de";
};

std::unique_ptr<HandSweep> make_hand_sweep() {
  auto hand = std::make_unique<HandSweep>();
  hand->sweep = hand->dir / "sweep";
  write_record_file(hand->sweep / "experiment.toml", kTiny);
  hand->runs = expand(load_experiment(hand->sweep / "experiment.toml"));
  REQUIRE(hand->runs.size() == 6);
  const HandRun* records[] = {&kRelu0, &kRelu1, &kKilled, &kSigmoid0, &kSigmoid1, &kDiverged};
  for (size_t i = 0; i < 6; ++i)
    write_run(hand->sweep, hand->runs[i], hand->runs[i].id, *records[i]);
  write_run(hand->sweep, hand->runs[0], hand->stale_id, kStale);
  write_verdicts(hand->sweep);  // what `actlab run` does at its end; the report reads it
  return hand;
}

// The expected groups, written by hand from the records above.
json expected_groups(const HandSweep& hand) {
  std::string text = R"([
 {"label": "activation=relu", "axes": {"activation": "relu"}, "runs": ["@r0", "@r1"],
  "seeds": [0, 1], "activation": "relu",
  "curves": {"position": [0, 0.5, 1, 2], "seconds": [0, 5, 11, 22], "runs": [2, 1, 2, 2],
   "train_error": {"mean": [0.875, 0.75, 0.625, 0.375], "min": [0.875, 0.75, 0.5, 0.25],
                   "max": [0.875, 0.75, 0.75, 0.5]},
   "test_error": {"mean": [0.875, 0.75, 0.6875, 0.5625], "min": [0.875, 0.75, 0.625, 0.5],
                  "max": [0.875, 0.75, 0.75, 0.625]},
   "train_loss": {"mean": [null, null, null, null], "min": [null, null, null, null],
                  "max": [null, null, null, null]},
   "test_loss": {"mean": [null, null, null, null], "min": [null, null, null, null],
                 "max": [null, null, null, null]}},
  "targets": [{"metric": "train_error", "threshold": 0.5, "reached": 2, "runs": 2,
               "epochs": [1, 2], "epoch_mean": 1.5, "seconds_mean": 17}],
  "layer_maps": {"epochs": [0, 1, 2], "layers": ["features.0.act", "classifier.act"],
   "dead_fraction": [[0, 0.375, 0.5], [0, 0.125, 0.25]],
   "sparsity": [[0, 0.375, 0.5], [0, 0.125, 0.25]],
   "saturation_fraction": [[0, 0, 0], [0, 0, 0]],
   "grad_act_rms": [[0.25, 0.375, 0.625], [1, 1, 1]]},
  "gradient_flow": {"index": [0, 1], "layers": ["features.0.act", "classifier.act"],
   "first_epoch": 0, "last_epoch": 2,
   "first": {"mean": [0.25, 1], "min": [0.25, 1], "max": [0.25, 1]},
   "last": {"mean": [0.625, 1], "min": [0.5, 1], "max": [0.75, 1]},
   "max_abs_derivative": 1, "bound": [1, 1]},
  "update_paths": {"epochs": [0, 1, 2],
   "consumer_weight_path_efficiency": {"mean": [null, 0.4375, 0.375], "min": [null, 0.25, 0.375],
                                       "max": [null, 0.625, 0.375]},
   "consumer_weight_update_cosine": {"mean": [null, 0.3125, 0.25], "min": [null, 0.125, 0.25],
                                     "max": [null, 0.5, 0.25]}},
  "histograms": null},
 {"label": "activation=sigmoid", "axes": {"activation": "sigmoid"}, "runs": ["@s0", "@s1"],
  "seeds": [0, 1], "activation": "sigmoid",
  "curves": {"position": [0, 1, 2], "seconds": [0, 8, 16], "runs": [2, 2, 2],
   "train_error": {"mean": [0.875, 0.8125, 0.75], "min": [0.875, 0.75, 0.75],
                   "max": [0.875, 0.875, 0.75]},
   "test_error": {"mean": [0.875, 0.875, 0.8125], "min": [0.875, 0.875, 0.75],
                  "max": [0.875, 0.875, 0.875]},
   "train_loss": {"mean": [null, null, null], "min": [null, null, null], "max": [null, null, null]},
   "test_loss": {"mean": [null, null, null], "min": [null, null, null], "max": [null, null, null]}},
  "targets": [{"metric": "train_error", "threshold": 0.5, "reached": 0, "runs": 2,
               "epochs": [null, null], "epoch_mean": null, "seconds_mean": null}],
  "layer_maps": {"epochs": [0, 1, 2], "layers": ["features.0.act", "classifier.act"],
   "dead_fraction": [[0, 0, 0], [0, 0, 0]], "sparsity": [[0, 0, 0], [0, 0, 0]],
   "saturation_fraction": [[0, 0, 0], [0, 0, 0]],
   "grad_act_rms": [[0.0625, 0.0625, 0.0625], [0.5, 0.5, 0.5]]},
  "gradient_flow": {"index": [0, 1], "layers": ["features.0.act", "classifier.act"],
   "first_epoch": 0, "last_epoch": 2,
   "first": {"mean": [0.0625, 0.5], "min": [0.0625, 0.5], "max": [0.0625, 0.5]},
   "last": {"mean": [0.0625, 0.5], "min": [0.0625, 0.5], "max": [0.0625, 0.5]},
   "max_abs_derivative": 0.25, "bound": [0.125, 0.5]},
  "update_paths": null,
  "histograms": null}
])";
  const std::pair<const char*, std::string> ids[] = {{"@r0", hand.runs[0].id},
                                                     {"@r1", hand.runs[1].id},
                                                     {"@s0", hand.runs[3].id},
                                                     {"@s1", hand.runs[4].id}};
  for (const auto& [placeholder, id] : ids)
    text = std::regex_replace(text, std::regex(placeholder), id);
  return json::parse(text);
}

// Compares numbers as doubles (the JSON literal's 1 is an integer, the computed 1.0 is not).
bool same_json(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key) || !same_json(value, b[key])) return false;
    }
    return true;
  }
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace report_fixture

using namespace report_fixture;

TEST_CASE("report.json holds the groups' means, bands and targets, and lists the rest apart",
          "[unit][report]") {
  const auto hand = make_hand_sweep();
  const json report = report_data({hand->sweep});
  CHECK(report["schema"] == "actlab-report/1");
  CHECK(report["band"] == "min-max over the group's runs (seeds)");
  REQUIRE(report["sources"].size() == 1);
  const json& source = report["sources"][0];
  CHECK(source["name"] == "tiny");
  CHECK(source["experiment"]["claim"] == "A hand-written sweep.");

  const json expected = expected_groups(*hand);
  REQUIRE(source["groups"].size() == expected.size());
  for (size_t g = 0; g < expected.size(); ++g) {
    for (const auto& [key, value] : expected[g].items()) {
      INFO("group " << g << ", field " << key << "\n expected " << value.dump() << "\n got      "
                    << source["groups"][g][key].dump());
      CHECK(same_json(value, source["groups"][g][key]));
    }
    CHECK(source["groups"][g].size() == expected[g].size() + 1);  // + run_curves, below
  }
  // Each run's own curve (the thin lines of the by-activation figure), in the order of "runs":
  // at every position, the mean over the runs that recorded it is the group's mean there.
  for (const auto& group : source["groups"]) {
    REQUIRE(group["run_curves"].size() == group["runs"].size());
    const auto& curves = group["curves"];
    for (size_t i = 0; i < curves["position"].size(); ++i) {
      double sum = 0;
      int count = 0;
      for (const auto& run : group["run_curves"]) {
        for (size_t k = 0; k < run["position"].size(); ++k) {
          if (run["position"][k] != curves["position"][i]) continue;
          sum += run["train_error"][k].get<double>();
          ++count;
        }
      }
      CHECK(count == curves["runs"][i].get<int>());
      CHECK(sum / count == Approx(curves["train_error"]["mean"][i].get<double>()));
    }
  }

  // Apart: the killed, the diverged and the stale run, with why, each with its own curve.
  std::map<std::string, std::string> apart;
  for (const auto& run : source["apart"]) apart[run["id"]] = run["reason"];
  CHECK(apart == std::map<std::string, std::string>{{hand->runs[2].id, "killed or still running"},
                                                    {hand->runs[5].id, "diverged"},
                                                    {hand->stale_id, "stale (older grid)"}});
  for (const auto& run : source["apart"]) {
    if (run["id"] == hand->stale_id)
      CHECK(same_json(run["curve"]["train_error"], json({0.125, 0.125, 0.125})));
  }
  // Every run in the runs table, grouped or not, with provenance.
  REQUIRE(source["runs"].size() == 7);
  for (const auto& run : source["runs"]) {
    CHECK(run["provenance"]["git_commit"] == "abc1234");
    CHECK(run["provenance"]["libtorch_version"] == "1.13.1");
    CHECK(run["provenance"]["device"] == "cpu");
    CHECK(run["group"].is_null() == (run["class"] != "finished"));
  }
  CHECK(source["common_config"]["model"] == "krizhevsky4");
  CHECK_FALSE(source["common_config"].contains("out_dir"));
  CHECK(source["depth_sweep"].is_null());  // no depth axis

  // The verdict over the finished runs only: sigmoid 0.8125 vs relu 0.5625.
  REQUIRE(source["verdicts"].size() == 1);
  CHECK(source["verdicts"][0]["mean_a"].get<double>() == 0.8125);
  CHECK(source["verdicts"][0]["mean_b"].get<double>() == 0.5625);
  CHECK(source["verdicts"][0]["effect"].get<double>() == 0.25);
  CHECK(source["verdicts"][0]["values_a"].size() == 2);
}

TEST_CASE("report takes single run folders and refuses folders without runs", "[unit][report]") {
  const auto hand = make_hand_sweep();
  const auto run_dir = hand->sweep / "runs" / hand->runs[0].id;
  const json report = report_data({run_dir});
  REQUIRE(report["sources"][0]["groups"].size() == 1);
  CHECK(report["sources"][0]["groups"][0]["runs"] == json({hand->runs[0].id}));
  CHECK(report["sources"][0]["verdicts"].empty());

  TempDir empty;
  CHECK_THROWS_WITH(report_data({empty.path()}), Catch::Contains("holds no runs"));
  const auto printed = run_actlab(fmt::format("report '{}'", empty.path().string()));
  CHECK(printed.exit_code == 1);
  CHECK_THAT(printed.output, Catch::Contains("actlab: error:") && Catch::Contains("holds no runs"));
  CHECK(actlab::testing::count_lines(printed.output) == 1);
  CHECK_FALSE(std::filesystem::exists(empty / "report"));

  // Through the command line: --json-only writes the same numbers without drawing.
  const auto out = hand->dir / "report";
  const auto json_only = run_actlab(
      fmt::format("report '{}' --out '{}' --json-only", hand->sweep.string(), out.string()));
  REQUIRE(json_only.exit_code == 0);
  const json written = json::parse(read_file(out / "report.json"));
  CHECK(same_json(written["sources"][0]["groups"],
                  report_data({hand->sweep})["sources"][0]["groups"]));
}
