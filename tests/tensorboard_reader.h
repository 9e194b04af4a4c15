#pragma once

// TensorBoard's own Python reader on actlab's event files, for the tests (needs python3 with the
// tensorboard package, which scripts/common.sh installs).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "src/core/files.h"
#include "tests/helpers.h"

namespace actlab::testing {

// TensorBoard's reader (tests/tensorboard/read_events.py) on `run`, writing its output in the
// scratch folder `dir`; nullopt when python3 or the
// tensorboard package is missing, after printing "SKIPPED:".
inline std::optional<nlohmann::json> read_with_tensorboard(const std::filesystem::path& dir,
                                                           const std::filesystem::path& run) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    std::cout << "SKIPPED: python3 is missing (scripts/common.sh installs it with tensorboard)\n";
    return std::nullopt;
  }
  const auto script =
      std::filesystem::path(ACTLAB_SOURCE_DIR) / "tests" / "tensorboard" / "read_events.py";
  const auto out = dir / "read.json", err = dir / "read.err";
  const int status = std::system(fmt::format("python3 '{}' '{}' >'{}' 2>'{}'", script.string(),
                                             run.string(), out.string(), err.string())
                                     .c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 3) {
    std::cout << actlab::read_file(out);  // "SKIPPED: ..."
    return std::nullopt;
  }
  INFO(actlab::read_file(err));
  REQUIRE(code == 0);
  return nlohmann::json::parse(actlab::read_file(out));
}

}  // namespace actlab::testing
