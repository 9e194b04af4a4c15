#pragma once

// The one rule for "the probe at the end of epoch N" in layers.jsonl and histograms.jsonl, used
// by every reader of probe records (the verdicts' layer metrics, the report's maps and
// histograms). ProbeHook probes at each epoch-end evaluation (trigger "evaluation") and, with
// --probe-every-steps, every K steps (trigger "every_steps"), which may share the epoch and even
// the step of an evaluation; only the former is the epoch's end.

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace actlab {

// Per whole epoch, per layer index, the epoch-end probe's record (pointers into `records`). Among
// records that are evaluation probes (or carry no trigger, as hand-made fixtures), the latest step
// of the epoch is its end; at one step the last line written wins. Records without a whole epoch
// or an index are skipped.
std::map<int, std::map<int, const nlohmann::json*>> epoch_end_probes(
    const std::vector<nlohmann::json>& records);

}  // namespace actlab
