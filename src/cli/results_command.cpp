#include <fmt/format.h>

#include "src/cli/commands.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/report/results_document.h"

namespace actlab::cli {

Action add_results_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "results",
      "Regenerate the blocks of RESULTS.md that actlab writes (<!-- actlab verdicts DIR --> and "
      "<!-- actlab summary -->) from the sweep folders' records; --check only compares");
  struct Options {
    std::string file = "RESULTS.md";
    bool check = false;
  };
  auto options = std::make_shared<Options>();
  command->add_option("file", options->file, "the document")
      ->capture_default_str()
      ->check(CLI::ExistingFile);
  command->add_flag("--check", options->check,
                    "change nothing; exit 1 naming every block that differs from what the "
                    "records give (CI: the document cannot drift from the data)");
  return [options] {
    const std::filesystem::path file = options->file;
    // Folders named in blocks are relative to the document's folder ("" is the current one).
    const auto document = regenerate_results_document(read_file(file), file.parent_path());
    if (options->check) {
      if (document.changed.empty()) {
        fmt::print("{}: every block matches the records\n", file.string());
        return 0;
      }
      for (const auto& block : document.changed) {
        fmt::print(stderr, "{}: block '{}' differs from what the records give\n", file.string(),
                   block);
      }
      fmt::print(stderr, "fix: run `actlab results {}` and commit the document\n", file.string());
      return kExitError;
    }
    if (document.changed.empty()) {
      fmt::print("{}: up to date\n", file.string());
      return 0;
    }
    write_file_atomic(file, document.text);
    for (const auto& block : document.changed)
      fmt::print("{}: rewrote '{}'\n", file.string(), block);
    return 0;
  };
}

}  // namespace actlab::cli
