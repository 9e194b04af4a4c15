#include <fmt/format.h>

#include "models/network.h"
#include "src/activations/activation.h"
#include "src/cli/commands.h"
#include "src/core/spec.h"

namespace actlab::cli {

namespace {

void print_activations() {
  fmt::print(
      "{} activations (spec: NAME or NAME:param=value,...; f' range sampled on [-10, 10]):\n\n",
      activation_registry().all().size());
  for (const auto& a : activation_registry().all()) {
    const auto [low, high] = sampled_derivative_range(a.name);
    std::vector<std::string> parameters;
    for (const auto& p : a.parameters) {
      parameters.push_back(
          fmt::format("{}={} ({})", p.name, format_number(p.default_value), p.help));
    }
    fmt::print("  {:<16} f(x) = {}\n", a.name, a.formula);
    fmt::print("  {:<16} f'(x) in [{:.4g}, {:.4g}]   default init: {}\n", "", low, high,
               a.default_init);
    if (!parameters.empty()) fmt::print("  {:<16} parameters: {}\n", "", join(parameters, "; "));
  }
}

void print_models() {
  fmt::print(
      "{} models (all take --activation, --batch-norm, --init, --init-stds, --bias-init):\n\n",
      model_registry().all().size());
  for (const auto& m : model_registry().all()) {
    fmt::print("  {:<15} {}\n", m.name, m.summary);
    std::vector<std::string> options;
    if (m.default_depth) options.push_back(fmt::format("--depth (default {})", m.default_depth));
    if (m.default_width) options.push_back(fmt::format("--width (default {})", m.default_width));
    if (m.uses_skip) options.push_back("--skip/--no-skip");
    if (m.uses_preact) options.push_back("--preact");
    if (m.uses_skip) options.push_back("--zero-init-residual/--no-zero-init-residual");
    if (!options.empty()) fmt::print("  {:<15} options: {}\n", "", join(options));
    fmt::print("  {:<15} layers: {}\n\n", "", m.layers);
  }
}

}  // namespace

Action add_list_command(CLI::App& app) {
  auto* command = app.add_subcommand("list", "List registered activations or models");
  auto what = std::make_shared<std::string>();
  command->add_option("what", *what, "activations | models")
      ->required()
      ->check(CLI::IsMember({"activations", "models"}));
  return [what] {
    if (*what == "activations") {
      print_activations();
    } else {
      print_models();
    }
    return 0;
  };
}

}  // namespace actlab::cli
