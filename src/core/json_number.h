#pragma once

#include <cmath>
#include <nlohmann/json.hpp>

namespace actlab {

// A number for a record: null when it is not finite (JSON has no NaN or infinity, and a reader
// must see "no value", not a string).
inline nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace actlab
