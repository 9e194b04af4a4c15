#include "src/core/spec.h"

#include <fmt/format.h>

#include <cmath>

#include <cerrno>
#include <cstdlib>

#include "src/core/error.h"

namespace actlab {

namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

bool is_identifier(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Spec parse_spec(std::string_view text, std::string_view what) {
  Spec spec;
  const auto colon = text.find(':');
  spec.name = trim(text.substr(0, colon));
  if (!is_identifier(spec.name)) {
    throw Error(
        fmt::format("{} '{}' is malformed: write NAME or NAME:key=value,key=value", what, text));
  }
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto equals = item.find('=');
    const std::string key = trim(std::string_view(item).substr(0, equals));
    const std::string number = equals == std::string::npos
                                   ? std::string{}
                                   : trim(std::string_view(item).substr(equals + 1));
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(number.c_str(), &end);
    if (!is_identifier(key) || number.empty() || *end != '\0' || errno == ERANGE) {
      throw Error(
          fmt::format("{} '{}': parameter '{}' is malformed: write key=number, e.g. {}:{}=0.5",
                      what, text, item, spec.name, key.empty() ? "key" : key));
    }
    spec.values.emplace_back(key, value);
  }
  return spec;
}

ParameterValues resolve_parameters(const Spec& spec, const std::vector<ParameterInfo>& accepted,
                                   std::string_view what) {
  ParameterValues values;
  for (const auto& parameter : accepted) values[parameter.name] = parameter.default_value;
  for (const auto& [key, value] : spec.values) {
    if (values.count(key) == 0) {
      std::vector<std::string> names;
      for (const auto& parameter : accepted) names.push_back(parameter.name);
      throw Error(fmt::format("{} '{}' has no parameter '{}': valid parameters are {}", what,
                              spec.name, key, names.empty() ? "none" : join(names)));
    }
    // Activations compute in float32: a value beyond its range (or not finite) would make
    // LibTorch throw mid-run (found by fuzz/fuzz_spec).
    if (!std::isfinite(value) || std::abs(value) > 1e30) {
      throw Error(fmt::format("{} '{}': {} = {} is out of range (finite, at most 1e30 in size)",
                              what, spec.name, key, format_number(value)));
    }
    values[key] = value;
  }
  return values;
}

std::string format_number(double value) {
  for (int precision = 1; precision < 17; ++precision) {
    std::string text = fmt::format("{:.{}g}", value, precision);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return fmt::format("{:.17g}", value);
}

std::string format_spec(const std::string& name, const ParameterValues& values) {
  std::string text = name;
  char separator = ':';
  for (const auto& [key, value] : values) {
    text += fmt::format("{}{}={}", separator, key, format_number(value));
    separator = ',';
  }
  return text;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> pieces;
  while (!text.empty()) {
    const auto end = text.find(separator);
    if (end != 0) pieces.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return pieces;
}

}  // namespace actlab
