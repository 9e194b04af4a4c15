// The drawing side of `actlab report` is a matplotlib script run as its own process; this finds
// an interpreter that has matplotlib and the script, and runs it.
#include "src/report/draw.h"

#include <fmt/format.h>

#include <cstdlib>
#include <vector>

#include "src/core/error.h"
#include "src/core/process.h"
#include "src/core/spec.h"

namespace actlab {

namespace fs = std::filesystem;

std::string find_matplotlib_python() {
  std::vector<std::string> candidates;
  if (const char* chosen = std::getenv("ACTLAB_PYTHON")) candidates.push_back(chosen);
  // Debian's interpreter first: a pyenv or venv python3 on PATH does not see python3-matplotlib.
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const auto& python : candidates) {
    if (run_process({python, "-c", "import matplotlib"}).exit_code == 0) return python;
  }
  throw Error("drawing the report needs python3 with matplotlib, found in none of " +
              join(candidates) +
              ": install it with `apt-get install python3-matplotlib` (or set ACTLAB_PYTHON to a "
              "python3 that has matplotlib)");
}

fs::path draw_script() {
  std::error_code error;
  const fs::path binary = fs::read_symlink("/proc/self/exe", error);
  // Relative to the binary, so that a build folder or an installed prefix (moved or not) finds
  // its own script; no source path is compiled in.
  const std::vector<fs::path> candidates = {
      binary.parent_path() / "report" / "draw_report.py",  // BUILD/actlab, BUILD/report/
      (binary.parent_path() / ACTLAB_SCRIPTS_FROM_BINARY / "draw_report.py").lexically_normal()};
  for (const auto& candidate : candidates) {
    if (fs::exists(candidate)) return candidate;
  }
  throw Error(
      fmt::format("the drawing script draw_report.py is in neither {} nor {}: rebuild actlab "
                  "(the build copies it beside the binary) or reinstall it (cmake --install)",
                  candidates[0].string(), candidates[1].string()));
}

void draw_report(const fs::path& report_dir, bool compact) {
  const std::string python = find_matplotlib_python();
  std::vector<std::string> command = {python, draw_script().string(), report_dir.string()};
  if (compact) command.push_back("--compact");
  const auto result = run_process(command);
  if (result.exit_code != 0) {
    std::string last = result.out;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    throw Error(fmt::format("drawing the report failed ({} {}): {}", python, draw_script().string(),
                            last.empty() ? "no output" : last));
  }
}

}  // namespace actlab
