// The meta record of a checkpoint that passes its frame: a whole checkpoint of fuzz/tiny_run.h's
// run whose meta JSON is the input, framed as actlab frames it, loaded as `--resume` loads it. The
// input's actlab_version and git_commit (when strings) become this build's, so that inputs reach
// the checks behind the commit check: positions, the summary, the loop's sums, the hooks' states,
// the generators. The seed corpus holds the run's own meta, written by this program with
// ACTLAB_FUZZ_WRITE_SEED=FOLDER set.

#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "fuzz/tiny_run.h"
#include "src/core/build_info.h"
#include "src/train/checkpoint.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed_dir = std::getenv("ACTLAB_FUZZ_WRITE_SEED")) {
    actlab::fuzz::TinyRun run(actlab::fuzz::scratch() / "seed");
    auto meta = actlab::checkpoint_contents(run.config, run.state, run.hooks()).meta;
    std::filesystem::create_directories(seed_dir);
    actlab::write_file_atomic(std::filesystem::path(seed_dir) / "tiny_run.json", meta.dump(1));
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static actlab::fuzz::TinyRun run(actlab::fuzz::scratch() / "run");
  const auto dir = actlab::fuzz::scratch() / "run";
  auto meta = nlohmann::json::parse(actlab::fuzz::as_text(data, size), nullptr, false);
  if (meta.is_discarded()) return 0;  // not JSON: fuzz_checkpoint's ground
  if (meta.is_object()) {
    for (const auto& [field, value] : {std::pair{"actlab_version", actlab::actlab_version()},
                                       std::pair{"git_commit", actlab::git_commit()}}) {
      if (meta.contains(field) && meta[field].is_string()) meta[field] = value;
    }
  }
  // The state as the run built it: an earlier input may have left a half-restored one.
  run.state.epoch = 0;
  run.state.in_epoch = false;
  run.state.progress = actlab::EpochProgress{};
  auto contents = actlab::checkpoint_contents(run.config, run.state, run.hooks());
  contents.meta = std::move(meta);
  actlab::write_file_atomic(actlab::checkpoint_file(dir), actlab::checkpoint_bytes(contents));
  actlab::fuzz::expect_only_errors(
      [&] { actlab::load_checkpoint(dir, run.config, *run.context, run.state, run.hooks()); });
  return 0;
}
