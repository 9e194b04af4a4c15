// A run's records as `collect`, `verdict` and `report` read them: config.json, summary.json,
// metrics.jsonl and checkpoint.json (the input's parts, cut at bytes 0x01). A damaged record must
// mark the run damaged (listed apart), never stop the reader.

#include "fuzz/fuzz_input.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/train/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto sweep = actlab::fuzz::scratch() / "sweep";
  const auto run = sweep / "runs" / "run";
  std::filesystem::create_directories(run);
  const auto parts = actlab::fuzz::split_input(actlab::fuzz::as_text(data, size), 4);
  const char* files[] = {"config.json", "summary.json", "metrics.jsonl", "checkpoint.json"};
  for (size_t i = 0; i < 4; ++i) actlab::write_file_atomic(run / files[i], parts[i]);
  actlab::fuzz::expect_only_errors([&] {
    auto results = actlab::load_results(sweep);
    for (const auto& result : results) result.row();  // what collect writes to results.csv
    const auto runs = actlab::classify_runs(sweep, std::move(results));
    actlab::apart_listing(runs);
  });
  actlab::fuzz::expect_only_errors([&] { actlab::read_checkpoint_info(run); });
  return 0;
}
