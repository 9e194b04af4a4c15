// The Slurm path's parts that need no Slurm: the array script, the options the collect job
// gets, the CPUs a task uses, and the CLI's refusals. tests/slurm/slurm_test.sh (CTest label
// `slurm`) submits, cancels and resubmits through a real Slurm.
#include <sched.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "src/core/cpus.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/process.h"
#include "src/harness/experiment.h"
#include "src/harness/slurm.h"
#include "tests/helpers.h"

using namespace actlab;
using actlab::testing::run_actlab;
using actlab::testing::TempDir;

namespace {

const char* kTiny = R"(name = "tiny"
claim = "A test sweep."
[base]
model = "krizhevsky4"
epochs = 1
[grid]
activation = ["relu", "sigmoid", "tanh"]
)";

std::filesystem::path write_tiny(const TempDir& dir) {
  const auto path = dir / "tiny.toml";
  std::ofstream(path) << kTiny;
  return path;
}

}  // namespace

TEST_CASE("a submission's array script runs the listed runs one per task", "[unit][harness]") {
  TempDir dir;
  const Experiment experiment = load_experiment(write_tiny(dir));
  SweepOptions options;
  options.out = dir / "sweep";
  options.profile = "quick";
  options.actlab_binary = ACTLAB_BINARY;
  auto runs = expand(experiment);
  runs.erase(runs.begin());  // the first run is final: a resubmission leaves it out
  const std::string script = slurm_array_script(experiment, runs, options, dir / "copy.toml");
  CHECK_THAT(script, Catch::StartsWith("#!/bin/bash"));
  CHECK_THAT(script, Catch::Contains("#SBATCH --array=0-1\n"));
  CHECK_THAT(script, Catch::Contains("\n  '" + runs[0].id + "'\n  '" + runs[1].id + "'\n)"));
  CHECK_THAT(script, !Catch::Contains(expand(experiment)[0].id));
  CHECK_THAT(script, Catch::Contains(" run '" + (dir / "copy.toml").string() + "' --out '" +
                                     (dir / "sweep").string() + "' --profile quick"));
  CHECK_THAT(script, Catch::Contains("--only \"${RUN_IDS[$SLURM_ARRAY_TASK_ID]}\""));
  // The GPU Slurm allocated, or the CPUs: never a GPU the task was not given.
  CHECK_THAT(script, Catch::Contains("DEVICE=cpu\nif [ -n \"${CUDA_VISIBLE_DEVICES:-}\" ]"));
  CHECK_THAT(script, Catch::Contains("  DEVICE=cuda\n"));
  options.device = "cuda";
  CHECK_THAT(slurm_array_script(experiment, runs, options, dir / "copy.toml"),
             Catch::Contains("DEVICE='cuda'\nexec "));
  // bash itself parses it.
  std::ofstream(dir / "array.sbatch") << script;
  CHECK(std::system(("bash -n '" + (dir / "array.sbatch").string() + "'").c_str()) == 0);
}

TEST_CASE("the collect job gets the user's sbatch options but no GPU", "[unit][harness]") {
  const std::vector<std::string> options = {"--partition=gpu",
                                            "--gres=gpu:1",
                                            "-G",
                                            "2",
                                            "--gpus-per-task=1",
                                            "--time=10",
                                            "--gres",
                                            "gpu:a100:1",
                                            "-G1",
                                            "--gpus",
                                            "4",
                                            "--mem=4G",
                                            "--account=lab"};
  CHECK(collect_job_options(options) ==
        std::vector<std::string>{"--partition=gpu", "--time=10", "--mem=4G", "--account=lab"});
}

TEST_CASE("sbatch options given as one string split like a shell's words", "[unit][harness]") {
  CHECK(split_shell_words("  --time=20 --job-name 'a b'  \"--comment=x y\"") ==
        std::vector<std::string>{"--time=20", "--job-name", "a b", "--comment=x y"});
  CHECK(split_shell_words("").empty());
  CHECK_THROWS_AS(split_shell_words("--comment 'open"), Error);
}

TEST_CASE("a task uses the CPUs Slurm gives it", "[unit][harness]") {
  const char* saved = std::getenv("SLURM_CPUS_PER_TASK");
  const std::string before = saved ? saved : "";
  ::setenv("SLURM_CPUS_PER_TASK", "3", 1);
  CHECK(allocated_cpus() == 3);
  ::unsetenv("SLURM_CPUS_PER_TASK");
  cpu_set_t set;
  REQUIRE(::sched_getaffinity(0, sizeof set, &set) == 0);
  CHECK(allocated_cpus() == CPU_COUNT(&set));
  if (saved) ::setenv("SLURM_CPUS_PER_TASK", before.c_str(), 1);
}

TEST_CASE("actlab run --slurm and --status refuse what they cannot do in one line",
          "[cli][harness]") {
  TempDir dir;
  const auto file = write_tiny(dir).string();
  const std::string out = (dir / "sweep").string();
  auto without_slurm = run_actlab(fmt::format("run '{}' --out '{}' -- --partition=gpu", file, out));
  CHECK(without_slurm.exit_code != 0);
  CHECK_THAT(without_slurm.output, Catch::Contains("'--partition=gpu' is an sbatch option") &&
                                       Catch::Contains("add --slurm"));
  auto array = run_actlab(fmt::format("run '{}' --out '{}' --slurm -- --array=0-9", file, out));
  CHECK(array.exit_code != 0);
  CHECK_THAT(array.output, Catch::Contains("actlab sets --array itself"));
  // Without sbatch on PATH (a machine that is no Slurm login node): one line, nothing queued.
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.path().c_str(), 1);
  auto no_sbatch = run_actlab(fmt::format("run '{}' --out '{}' --slurm", file, out));
  ::setenv("PATH", path.c_str(), 1);
  CHECK(no_sbatch.exit_code != 0);
  CHECK_THAT(no_sbatch.output,
             Catch::Contains("sbatch not found on PATH") && Catch::Contains("--emit slurm"));
  auto status = run_actlab(fmt::format("run '{}' --out '{}' --status", file, out));
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.output, Catch::Contains("3 todo"));
  CHECK(actlab::testing::count_lines(status.output) == 6);  // title, header, 3 runs, counts
}

TEST_CASE("actlab run --emit slurm writes the one array script for the user to submit",
          "[cli][harness]") {
  TempDir dir;
  const auto file = write_tiny(dir);
  const auto out = dir / "sweep dir";  // a space: every path in the script is quoted
  const auto emitted =
      run_actlab(fmt::format("run '{}' --out '{}' --emit slurm", file.string(), out.string()));
  INFO(emitted.output);
  REQUIRE(emitted.exit_code == 0);
  CHECK_THAT(emitted.output, Catch::Contains("(3 array tasks)"));
  const std::string script = actlab::read_file(out / "sweep.sbatch");
  CHECK_THAT(script, Catch::Contains("written by `actlab run --emit slurm`"));
  CHECK_THAT(script, Catch::Contains("#SBATCH --array=0-2\n"));
  for (const auto& run : expand(load_experiment(file)))
    CHECK_THAT(script, Catch::Contains("\n  '" + run.id + "'\n"));
  // The tasks read the sweep folder's copy, so that editing the original cannot change them.
  CHECK_THAT(script, Catch::Contains(" run '" +
                                     std::filesystem::absolute(out / "experiment.toml").string() +
                                     "' --out '"));
  CHECK(actlab::read_file(out / "experiment.toml") == actlab::read_file(file));
  const auto syntax = run_process({"bash", "-n", (out / "sweep.sbatch").string()});
  INFO(syntax.out);
  CHECK(syntax.exit_code == 0);
  // Nothing ran.
  CHECK(!std::filesystem::exists(out / "runs"));
}
