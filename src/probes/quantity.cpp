#include "src/probes/quantity.h"

#include <cmath>

#include "src/core/error.h"
#include "src/probes/quantities/quantities.h"

namespace actlab {

const Registry<QuantityDefinition>& quantity_registry() {
  static const Registry<QuantityDefinition> registry = [] {
    Registry<QuantityDefinition> r("probe quantity");
    r.add(quantities::dead_units());
    r.add(quantities::negative_units());
    r.add(quantities::sparsity());
    r.add(quantities::exact_zeros());
    r.add(quantities::saturation());
    r.add(quantities::moments());
    r.add(quantities::gradient_flow());
    r.add(quantities::same_sign());
    r.add(quantities::histogram());
    return r;
  }();
  return registry;
}

ProbeLevel parse_probe_level(const std::string& text) {
  if (text == "off") return ProbeLevel::kOff;
  if (text == "cheap") return ProbeLevel::kCheap;
  if (text == "full") return ProbeLevel::kFull;
  throw Error(fmt::format("unknown --probe '{}': valid are off, cheap, full", text));
}

std::string to_string(ProbeLevel level) {
  switch (level) {
    case ProbeLevel::kOff:
      return "off";
    case ProbeLevel::kCheap:
      return "cheap";
    case ProbeLevel::kFull:
      return "full";
  }
  return "off";
}

}  // namespace actlab
