#include "src/records/epoch_end_probe.h"

#include <cmath>
#include <string>

namespace actlab {

namespace {

// A whole number in `field`, else false.
bool whole_field(const nlohmann::json& record, const char* field, double& value) {
  const auto it = record.find(field);
  if (it == record.end() || !it->is_number()) return false;
  value = it->get<double>();
  return std::isfinite(value) && value == std::floor(value);
}

bool evaluation_probe(const nlohmann::json& record) {
  const auto it = record.find("trigger");
  return it == record.end() || (it->is_string() && it->get<std::string>() == "evaluation");
}

}  // namespace

std::map<int, std::map<int, const nlohmann::json*>> epoch_end_probes(
    const std::vector<nlohmann::json>& records) {
  std::map<int, double> end_step;
  for (const auto& record : records) {
    double epoch = 0, step = 0;
    if (!evaluation_probe(record) || !whole_field(record, "epoch", epoch) ||
        !whole_field(record, "step", step))
      continue;
    auto [it, inserted] = end_step.emplace(static_cast<int>(epoch), step);
    if (!inserted && step > it->second) it->second = step;
  }
  std::map<int, std::map<int, const nlohmann::json*>> probes;
  for (const auto& record : records) {
    double epoch = 0, step = 0, index = 0;
    if (!evaluation_probe(record) || !whole_field(record, "epoch", epoch) ||
        !whole_field(record, "step", step) || !whole_field(record, "index", index) ||
        step != end_step[static_cast<int>(epoch)])
      continue;
    probes[static_cast<int>(epoch)][static_cast<int>(index)] = &record;
  }
  return probes;
}

}  // namespace actlab
