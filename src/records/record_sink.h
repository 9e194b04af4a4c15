#pragma once

// Where the training side sends a run's records besides their own files (docs/records.md): one
// interface, so that a new output (TensorBoard today) receives each record as it is made
// instead of asking the hook that made it or reading its file, and no hook depends on another's
// order.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace actlab {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // A new run's configuration, as config.json holds it (resolved fields included); a resumed
  // run's outputs have it already and are not sent it again.
  virtual void write_config(const nlohmann::json& config) = 0;
  // One probe pass at optimizer step `step`: its layers.jsonl records and, with --probe full,
  // its histograms.jsonl records (the same layers; none for a non-finite layer).
  virtual void write_probe(int64_t step, const std::vector<nlohmann::json>& layers,
                           const std::vector<nlohmann::json>& histograms) = 0;
  // The run's final summary.json record (status, errors, targets), once the run has ended.
  virtual void write_summary(const nlohmann::json& summary) = 0;
};

}  // namespace actlab
