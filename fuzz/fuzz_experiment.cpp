// The experiment-file reader (TOML, [[verdict]]s, profiles, [tune]) and the expansion of every
// profile into runs.

#include "fuzz/fuzz_input.h"
#include "src/harness/experiment.h"
#include "src/harness/tuning.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = actlab::fuzz::scratch() / "experiment.toml";
  actlab::write_file_atomic(file, actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors([&] {
    const actlab::Experiment experiment = actlab::load_experiment(file);
    for (const auto& profile : actlab::profile_names()) {
      actlab::fuzz::expect_only_errors([&] {
        actlab::expand(experiment, profile);
        actlab::tuning_runs(experiment, profile);
      });
    }
  });
  return 0;
}
