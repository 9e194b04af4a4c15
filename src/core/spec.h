#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace actlab {

// A named thing with numeric parameters, written "name" or "name:key=value,key=value"
// (e.g. "leaky_relu:slope=0.2", "normal:std=0.01"). Activations and weight inits use it.
struct Spec {
  std::string name;
  std::vector<std::pair<std::string, double>> values;  // in the order written
};

// Parses a spec string; throws actlab::Error naming `what` (e.g. "activation") on bad syntax.
Spec parse_spec(std::string_view text, std::string_view what);

// One parameter a registry entry accepts.
struct ParameterInfo {
  std::string name;
  double default_value;
  std::string help;
};

using ParameterValues = std::map<std::string, double>;

// Fills defaults and rejects parameters `accepted` does not list (the error lists the valid ones).
ParameterValues resolve_parameters(const Spec& spec, const std::vector<ParameterInfo>& accepted,
                                   std::string_view what);

// The canonical text of a resolved spec: every parameter, sorted, shortest exact number form.
std::string format_spec(const std::string& name, const ParameterValues& values);

// Shortest text that reads back as the same double (0.2 -> "0.2", 4 -> "4").
std::string format_number(double value);

// "a, b, c" for error messages that list what is valid.
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// The non-empty pieces of `text` between `separator`s ("a,,b," -> {"a", "b"}).
std::vector<std::string> split(std::string_view text, char separator);

}  // namespace actlab
