// `actlab report` drawn from a real tiny sweep and opened in a headless browser: every image
// loads, every verdict shows, the compact report too.
#include <catch2/catch.hpp>

#include <iostream>
#include <regex>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/report/draw.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;
using actlab::testing::write_text;

using actlab::testing::find_chromium;

TEST_CASE("the report of a real tiny sweep opens in a headless browser with every image loaded",
          "[data][integration][report][browser]") {
  REQUIRE(actlab::testing::have_cifar10());
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::cout << "SKIPPED: no chromium (apt-get install chromium; scripts/common.sh installs it)\n";
    return;
  }
  std::string python;
  try {
    python = find_matplotlib_python();
  } catch (const Error& error) {
    std::cout << "SKIPPED: " << error.what() << "\n";
    return;
  }
  ::setenv("ACTLAB_DATA", actlab::testing::cifar10_dir().c_str(), 1);  // for the runs' --data
  TempDir dir;
  write_text(dir / "browser.toml", R"(name = "browser"
claim = "A real tiny sweep for the report test."
source = "tests"
[base]
model = "krizhevsky4"
epochs = 2
train_subset = 300
test_subset = 100
train_eval_images = 100
probe = "cheap"
probe_images = 100
[grid]
activation = ["relu", "sigmoid"]
lr = [0.01, 0.05]
seed = [0, 1]
[targets]
train_error = 0.85
[[verdict]]
says = "sigmoid's final training error is at least relu's"
metric = "final_train_error"
a = { activation = "sigmoid" }
b = { activation = "relu" }
expect = "difference >= 0"
per = ["lr"]
)");
  const auto sweep = dir / "sweep";
  const auto ran = run_actlab(
      fmt::format("run '{}' --out '{}'", (dir / "browser.toml").string(), sweep.string()));
  INFO(ran.output);
  REQUIRE(ran.exit_code == 0);
  const auto reported = run_actlab(fmt::format("report '{}'", sweep.string()));
  INFO(reported.output);
  REQUIRE(reported.exit_code == 0);
  const auto index = sweep / "report" / "index.html";
  CHECK_THAT(reported.output, Catch::Contains("report: ") && Catch::Contains("index.html"));
  REQUIRE(std::filesystem::exists(index));

  // Every image loaded: the page's own script counts them once loading has finished.
  const std::string url = "file://" + std::filesystem::absolute(index).string();
  const auto dom = run_process({chromium, "--headless", "--disable-gpu", "--no-sandbox",
                                "--virtual-time-budget=10000", "--dump-dom", url});
  REQUIRE(dom.exit_code == 0);
  std::smatch images, broken;
  REQUIRE(std::regex_search(dom.out, images, std::regex(R"re(data-images="(\d+)")re")));
  REQUIRE(std::regex_search(dom.out, broken, std::regex(R"re(data-broken-images="(\d+)")re")));
  // Curves, the by-activation panels (one per lr), four heatmaps and gradient flow, at least.
  CHECK(std::stoi(images[1]) >= 7);
  CHECK(std::filesystem::exists(sweep / "report" / "figures" / "0-browser-by-activation.png"));
  // The zig-zag figure: the cheap probes record the update paths after the first epoch.
  CHECK(std::filesystem::exists(sweep / "report" / "figures" / "0-browser-update-paths.png"));
  CHECK_THAT(dom.out, Catch::Contains("Left: path efficiency of the weights"));
  // The trainability map: the grid varies activation and lr, with a training-error target.
  CHECK(std::filesystem::exists(sweep / "report" / "figures" / "0-browser-trainability.png"));
  CHECK_THAT(dom.out, Catch::Contains("One map per activation: learning rate across"));
  CHECK(std::stoi(broken[1]) == 0);
  // The verdict table, with the sweep's verdict and an outcome.
  CHECK_THAT(dom.out, Catch::Contains("class=\"verdicts\"") &&
                          Catch::Contains("sigmoid's final training error is at least relu's"));
  // (At 2 epochs on few images either net may still be at chance: NOT TRAINED is an outcome.)
  CHECK(std::regex_search(dom.out, std::regex("<b>(HOLDS|FAILS|INCONCLUSIVE|NOT TRAINED)</b>")));
  CHECK_THAT(dom.out, Catch::Contains("a: values by seed") && Catch::Contains("p (Holm)"));

  // The screenshot is not blank: a drawn page has many colours, a blank one a single colour.
  const auto shot = dir / "page.png";
  const auto screenshot =
      run_process({chromium, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                   "--virtual-time-budget=10000", "--window-size=1280,2400",
                   "--screenshot=" + shot.string(), url});
  REQUIRE(screenshot.exit_code == 0);
  REQUIRE(std::filesystem::exists(shot));
  const auto colours =
      run_process({python, "-c",
                   "import sys; from PIL import Image; "
                   "print(len(set(Image.open(sys.argv[1]).convert('RGB').getdata())))",
                   shot.string()});
  INFO(colours.out);
  REQUIRE(colours.exit_code == 0);
  CHECK(std::stoi(colours.out) > 100);

  // --compact (the report committed under results/standard/): the same figures as PNG only, in
  // 256 colours, every image still loading, and far smaller than PNG + SVG.
  const auto compact = dir / "compact";
  const auto small =
      run_actlab(fmt::format("report '{}' --out '{}' --compact", sweep.string(), compact.string()));
  INFO(small.output);
  REQUIRE(small.exit_code == 0);
  auto figure_bytes = [](const std::filesystem::path& figures, const std::string& extension) {
    std::uintmax_t bytes = 0;
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(figures)) {
      if (entry.path().extension() != extension) continue;
      bytes += entry.file_size();
      ++count;
    }
    return std::make_pair(count, bytes);
  };
  const auto [full_png, full_png_bytes] = figure_bytes(sweep / "report" / "figures", ".png");
  const auto [full_svg, full_svg_bytes] = figure_bytes(sweep / "report" / "figures", ".svg");
  const auto [small_png, small_png_bytes] = figure_bytes(compact / "figures", ".png");
  CHECK(figure_bytes(compact / "figures", ".svg").first == 0);
  CHECK(small_png == full_png);
  CHECK(small_png_bytes * 3 < full_png_bytes + full_svg_bytes);
  const auto compact_dom = run_process(
      {chromium, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=10000",
       "--dump-dom", "file://" + std::filesystem::absolute(compact / "index.html").string()});
  REQUIRE(compact_dom.exit_code == 0);
  REQUIRE(std::regex_search(compact_dom.out, images, std::regex(R"re(data-images="(\d+)")re")));
  REQUIRE(
      std::regex_search(compact_dom.out, broken, std::regex(R"re(data-broken-images="(\d+)")re")));
  CHECK(std::stoi(images[1]) == small_png);
  CHECK(std::stoi(broken[1]) == 0);
  CHECK_FALSE(Catch::contains(compact_dom.out, ".svg"));
}
