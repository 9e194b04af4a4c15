// A run's checkpoint.pt, loaded as `actlab train --resume` loads it: a framed LibTorch archive
// whose meta record (JSON) must describe this run's configuration. The seed corpus holds a real
// checkpoint of fuzz/tiny_run.h's run, written by this program with ACTLAB_FUZZ_WRITE_SEED=FOLDER
// set. Most mutations break the frame's digest; fuzz_checkpoint_meta fuzzes what lies behind it.

#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "fuzz/tiny_run.h"
#include "src/train/checkpoint.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed_dir = std::getenv("ACTLAB_FUZZ_WRITE_SEED")) {
    actlab::fuzz::TinyRun run(actlab::fuzz::scratch() / "seed");
    std::filesystem::create_directories(seed_dir);
    actlab::save_checkpoint(seed_dir, run.config, run.state, run.hooks());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static actlab::fuzz::TinyRun run(actlab::fuzz::scratch() /
                                   "run");  // built once: inputs only load
  const auto dir = actlab::fuzz::scratch() / "run";
  actlab::write_file_atomic(actlab::checkpoint_file(dir), actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors(
      [&] { actlab::load_checkpoint(dir, run.config, *run.context, run.state, run.hooks()); });
  return 0;
}
