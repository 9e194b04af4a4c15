#pragma once

#include <filesystem>
#include <string>

namespace actlab {

// A python3 that can import matplotlib: $ACTLAB_PYTHON, else /usr/bin/python3 (Debian's, where
// python3-matplotlib installs), else python3 on PATH. Throws Error naming the package to install.
std::string find_matplotlib_python();

// The drawing script: beside the binary (BUILD/report/draw_report.py, copied at build time), else
// where `cmake --install` puts it relative to the binary (PREFIX/share/actlab/report/).
std::filesystem::path draw_script();

// Runs the drawing script on REPORT_DIR/report.json: figures (PNG and SVG; compact: PNG only, in
// 256 colours, a third of the size) and index.html in `report_dir`. Throws Error with the
// script's last line when it fails.
void draw_report(const std::filesystem::path& report_dir, bool compact = false);

}  // namespace actlab
