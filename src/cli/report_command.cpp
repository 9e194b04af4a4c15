#include <fmt/format.h>

#include "src/cli/commands.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/report/draw.h"
#include "src/report/report_data.h"

namespace actlab::cli {

Action add_report_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "report",
      "Write an HTML report (figures as PNG and SVG, tables) of sweep or run folders: learning "
      "curves, per-layer heatmaps, gradient flow, histograms, verdicts, every run's status and "
      "provenance; opens from disk, no server");
  struct Options {
    std::vector<std::string> dirs;
    std::string out;
    bool json_only = false;
    bool compact = false;
  };
  auto options = std::make_shared<Options>();
  command->add_option("dirs", options->dirs, "sweep folders (actlab run) or run folders")
      ->required();
  command->add_option("--out", options->out, "report folder (default: DIR/report for one DIR)");
  command->add_flag("--json-only", options->json_only,
                    "write report.json only (the numbers), without drawing (no matplotlib needed)");
  command->add_flag("--compact", options->compact,
                    "PNG figures only, in 256 colours (no SVG): a third of the size, for a report "
                    "committed to a repository (results/standard/report)");
  return [options] {
    if (options->out.empty() && options->dirs.size() > 1)
      throw Error("several folders need one report folder: give --out REPORT_DIR");
    const std::filesystem::path out = options->out.empty()
                                          ? std::filesystem::path(options->dirs.front()) / "report"
                                          : std::filesystem::path(options->out);
    std::vector<std::filesystem::path> dirs(options->dirs.begin(), options->dirs.end());
    const auto data = report_data(dirs);  // before anything is written: bad input changes nothing
    std::filesystem::create_directories(out);
    write_file_atomic(out / "report.json", data.dump(1) + "\n");
    if (options->json_only) {
      fmt::print("{}\n", (out / "report.json").string());
      return 0;
    }
    draw_report(out, options->compact);
    fmt::print("report: {}\n",
               std::filesystem::absolute(out / "index.html").lexically_normal().string());
    return 0;
  };
}

}  // namespace actlab::cli
