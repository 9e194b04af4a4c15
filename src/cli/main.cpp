// actlab: train CNNs with pluggable activations on CIFAR-10 and measure why they train or not.
#include <c10/util/Exception.h>
#include <fmt/format.h>

#include <vector>

#include "src/cli/commands.h"
#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"

using actlab::first_line;

int main(int argc, char** argv) {
  CLI::App app{
      "actlab: why ReLU and not sigmoid? Train CIFAR-10 CNNs with any activation and "
      "measure it.",
      "actlab"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return fmt::format("actlab {} (commit {})\n{}", actlab::actlab_version(), actlab::git_commit(),
                       actlab::runtime_report());
  });
  // Errors stay one line, as actlab::Error's do (CLI11 adds "Run with --help ..." by default).
  app.failure_message([](const CLI::App*, const CLI::Error& error) {
    return fmt::format("actlab: error: {} (see --help)\n", error.what());
  });
  std::vector<std::pair<CLI::App*, actlab::cli::Action>> commands;
  for (auto add : {actlab::cli::add_train_command, actlab::cli::add_run_command,
                   actlab::cli::add_collect_command, actlab::cli::add_compare_command,
                   actlab::cli::add_verdict_command, actlab::cli::add_report_command,
                   actlab::cli::add_results_command, actlab::cli::add_list_command,
                   actlab::cli::add_data_command}) {
    const auto before = app.get_subcommands({}).size();
    auto action = add(app);
    commands.emplace_back(app.get_subcommands({}).at(before), std::move(action));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  try {
    for (auto& [command, action] : commands) {
      if (command->parsed()) return action();
    }
    return 0;
  } catch (const actlab::WriteError& error) {
    fmt::print(stderr, "actlab: error: {}\n", error.what());
    return actlab::cli::kExitWriteFailed;
  } catch (const actlab::Error& error) {
    fmt::print(stderr, "actlab: error: {}\n", error.what());
    return actlab::cli::kExitError;
  } catch (const c10::Error& error) {
    fmt::print(stderr, "actlab: LibTorch error: {}\n", first_line(error.what_without_backtrace()));
    return actlab::cli::kExitInternal;
  } catch (const std::exception& error) {
    fmt::print(stderr, "actlab: internal error: {}\n", first_line(error.what()));
    return actlab::cli::kExitInternal;
  }
}
