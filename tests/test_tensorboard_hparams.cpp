// TensorBoard's HParams dashboard for a real tiny sweep: every run carries the same hparams keys
// (read back by TensorBoard's own hparams plugin code), the plugin's server lists every run with
// its grid values and summary metrics, and the HParams tab shows them in headless Chromium.
#include <catch2/catch.hpp>

#include <iostream>
#include <set>

#include "src/core/files.h"
#include "src/core/process.h"
#include "tests/helpers.h"
#include "tests/tensorboard_reader.h"

using namespace actlab;
using actlab::testing::read_with_tensorboard;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;
namespace fs = std::filesystem;

using actlab::testing::find_chromium;

TEST_CASE("a tiny sweep's runs show in TensorBoard's HParams tab with grid values and metrics",
          "[data][integration][tensorboard][python][browser]") {
  REQUIRE(actlab::testing::have_cifar10());
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::cout << "SKIPPED: no chromium (apt-get install chromium; scripts/common.sh installs it)\n";
    return;
  }
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);  // for the runs' --data
  TempDir dir;
  // `arm` is a grid label that is no option (its lr is); `seed` sorts after most options, so the
  // table's columns show the grid only because the records mark it as what differs.
  write_text(dir / "hparams.toml", R"(name = "hparams_demo"
claim = "A real tiny sweep for the HParams test."
source = "tests"
[base]
model = "krizhevsky4"
epochs = 1
train_subset = 300
test_subset = 100
train_eval_images = 100
probe = "off"
activation = "tanh"
[grid]
arm = [ { label = "slow", lr = 0.01 }, { label = "fast", lr = 0.05 } ]
seed = [0, 1]
[targets]
train_error = 0.95
)");
  const auto sweep = dir / "sweep";
  const auto ran = run_actlab(
      fmt::format("run '{}' --out '{}' --jobs 2", (dir / "hparams.toml").string(), sweep.string()));
  INFO(ran.output);
  REQUIRE(ran.exit_code == 0);

  // One fixed set of hparams per sweep, in each run's own event file, and the same experiment.
  std::vector<std::string> runs;
  for (const auto& entry : fs::directory_iterator(sweep / "runs")) runs.push_back(entry.path());
  REQUIRE(runs.size() == 4);
  std::set<std::string> first_keys;
  nlohmann::json first_experiment;
  for (const auto& run : runs) {
    CAPTURE(run);
    const auto read = read_with_tensorboard(dir.path(), run);
    if (!read) return;
    const auto& hparams = (*read)["hparams"];
    std::set<std::string> keys;
    for (const auto& [key, _] : hparams["session_start_info"]["hparams"].items()) keys.insert(key);
    if (first_keys.empty()) {
      first_keys = keys;
      first_experiment = hparams["experiment"];
    }
    CHECK(keys == first_keys);
    CHECK(hparams["experiment"] == first_experiment);
    const auto axes = nlohmann::json::parse(read_file(fs::path(run) / "run.json"))["axes"];
    CHECK(hparams["session_start_info"]["hparams"]["arm"] == axes["arm"]);
    CHECK(hparams["session_start_info"]["hparams"]["seed"] ==
          std::stoi(axes["seed"].get<std::string>()));
    CHECK(hparams["session_start_info"]["hparams"]["experiment"] == "hparams_demo");
  }
  // The grid values lead the list and are marked as differing; nothing else is.
  REQUIRE(first_experiment["hparamInfos"].size() > 2);
  CHECK(first_experiment["hparamInfos"][0]["name"] == "arm");
  CHECK(first_experiment["hparamInfos"][1]["name"] == "seed");
  for (size_t i = 0; i < first_experiment["hparamInfos"].size(); ++i) {
    CAPTURE(i);
    CHECK(first_experiment["hparamInfos"][i].value("differs", false) == (i < 2));
  }

  // A real `tensorboard --logdir` and its HParams tab in a browser.
  const auto script = fs::path(ACTLAB_SOURCE_DIR) / "tests" / "tensorboard" / "hparams_browser.py";
  const auto shown = run_process({"python3", script.string(), (sweep / "runs").string(), chromium},
                                 Streams::separate);
  if (shown.exit_code == 3) {
    std::cout << shown.out;  // "SKIPPED: ..."
    return;
  }
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  const auto page = nlohmann::json::parse(shown.out);
  // The plugin's server: each run a session, with its grid values, status and summary metrics.
  REQUIRE(page["sessions"].size() == 4);
  for (const auto& session : page["sessions"]) {
    const auto name = session["name"].get<std::string>();
    CAPTURE(name);
    const auto run = sweep / "runs" / name;
    REQUIRE(fs::exists(run / "summary.json"));
    const auto summary = nlohmann::json::parse(read_file(run / "summary.json"));
    const auto config = nlohmann::json::parse(read_file(run / "config.json"));
    CHECK(session["status"] == "STATUS_SUCCESS");
    CHECK(session["hparams"]["lr"] == config["lr"]);
    CHECK(session["hparams"]["seed"] == config["seed"]);
    for (const char* key : {"final_test_error", "best_test_error", "final_train_error"}) {
      CHECK(session["metrics"][fmt::format("summary/{}", key)].get<float>() ==
            summary[key].get<float>());
    }
  }
  // The page: every run a row of the table, its grid values and its metrics as the tab shows
  // them (5 significant digits).
  const auto& header = page["header"];
  REQUIRE(header.size() == 10);  // the first 5 hparams and the first 5 metrics
  CHECK(header[0] == "arm");
  CHECK(header[1] == "seed");
  CHECK(header[5] == "summary/final_test_error");
  CHECK(page["rows"].size() == 4);
  for (const auto& [name, row] : page["rows"].items()) {
    CAPTURE(name);
    const auto run = sweep / "runs" / name;
    const auto axes = nlohmann::json::parse(read_file(run / "run.json"))["axes"];
    const auto summary = nlohmann::json::parse(read_file(run / "summary.json"));
    REQUIRE(row.size() == 10);
    CHECK(row[0] == axes["arm"]);
    CHECK(row[1] == fmt::format("{:#.5g}", std::stod(axes["seed"].get<std::string>())));
    CHECK(row[5] == fmt::format("{:#.5g}", summary["final_test_error"].get<float>()));
  }
}
