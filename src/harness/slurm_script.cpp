#include "src/harness/slurm.h"

// The scripts Slurm runs: the job array (for --emit slurm and --slurm alike) and the collect job.

#include <fmt/format.h>

#include <cctype>

#include "src/core/error.h"
#include "src/harness/slurm_client.h"

namespace actlab {

namespace fs = std::filesystem;
using slurm::slurm_folder;

namespace {

// `text` as one word for bash: 'single-quoted', quotes inside escaped.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string collect_script(const Experiment& experiment, const SweepOptions& options,
                           const fs::path& out) {
  const std::string actlab = shell_quote(fs::absolute(options.actlab_binary).string());
  return fmt::format(
      "#!/bin/bash\n"
      "# actlab experiment '{name}': rebuilds results.csv and results.db once the array has\n"
      "# ended (submitted with --dependency=afterany), so that no two tasks write them at once.\n"
      "#SBATCH --job-name=actlab-collect-{name}\n"
      "#SBATCH --output={slurm}/collect-%j.log\n"
      "#SBATCH --ntasks=1\n"
      "set -euo pipefail\n"
      "{actlab} collect {out}\n"
      "{verdict}",
      fmt::arg("name", experiment.name), fmt::arg("slurm", slurm_folder(out).string()),
      fmt::arg("actlab", actlab), fmt::arg("out", shell_quote(out.string())),
      fmt::arg("verdict", experiment.verdicts.empty()
                              ? std::string()
                              : fmt::format("{} verdict {}\n", actlab, shell_quote(out.string()))));
}

std::vector<std::string> split_shell_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw Error(fmt::format("unclosed {} in --sbatch-args \"{}\": close it", quote, text));
  if (in_word) words.push_back(word);
  return words;
}

std::vector<std::string> collect_job_options(const std::vector<std::string>& sbatch_options) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < sbatch_options.size(); ++i) {
    const std::string& option = sbatch_options[i];
    const bool gpu = option.rfind("--gres", 0) == 0 || option.rfind("--gpu", 0) == 0 ||
                     option.rfind("-G", 0) == 0;
    if (!gpu) {
      kept.push_back(option);
      continue;
    }
    // "--gres gpu:1", "-G 1" and "--gpus 2" carry their value in the next word.
    const bool separate_value =
        option == "--gres" || option == "-G" ||
        (option.rfind("--gpu", 0) == 0 && option.find('=') == std::string::npos);
    if (separate_value) ++i;
  }
  return kept;
}

std::string slurm_array_script(const Experiment& experiment, const std::vector<RunSpec>& runs,
                               const SweepOptions& options, const fs::path& experiment_copy,
                               SlurmSubmitter submitter) {
  const fs::path out = fs::absolute(sweep_dir(experiment, options));
  std::string ids;
  for (const auto& run : runs) ids += "  " + shell_quote(run.id) + "\n";
  const std::string device =
      options.device == "auto"
          ? "DEVICE=cpu\n"
            "if [ -n \"${CUDA_VISIBLE_DEVICES:-}\" ] && [ \"$CUDA_VISIBLE_DEVICES\" != NoDevFiles "
            "]; then\n"
            "  DEVICE=cuda\n"
            "fi\n"
          : "DEVICE=" + shell_quote(options.device) + "\n";
  const std::string actlab = shell_quote(fs::absolute(options.actlab_binary).string());
  const std::string how =
      submitter == SlurmSubmitter::actlab
          ? "# written and submitted by `actlab run --slurm`. Task i runs the i-th run below, "
            "alone,\n"
            "# with the CPUs Slurm gives it (SLURM_CPUS_PER_TASK); the results tables are rebuilt\n"
            "# once, by the collect job that waits for this array.\n"
          : fmt::format(
                "# written by `actlab run --emit slurm`. Task i runs the i-th run below, alone, "
                "with\n"
                "# the CPUs Slurm gives it (SLURM_CPUS_PER_TASK).\n"
                "# Submit: sbatch {}\n"
                "# When the array has finished: {} collect {}\n",
                shell_quote((out / "sweep.sbatch").string()), actlab, shell_quote(out.string()));
  return fmt::format(
      "#!/bin/bash\n"
      "# actlab experiment '{name}'{profile_note}: {count} runs as one Slurm job array,\n"
      "{how}"
      "#SBATCH --job-name=actlab-{name}\n"
      "#SBATCH --array=0-{last}\n"
      "#SBATCH --output={slurm}/%A_%a.log\n"
      "set -euo pipefail\n"
      "RUN_IDS=(\n{ids})\n"
      "# The GPU Slurm allocated trains the run; a task given none trains on its CPUs.\n"
      "{device}"
      "exec {actlab} run {file} --out {out}{profile} --device \"$DEVICE\" --only "
      "\"${{RUN_IDS[$SLURM_ARRAY_TASK_ID]}}\"\n",
      fmt::arg("name", experiment.name),
      fmt::arg("profile_note",
               options.profile.empty() ? "" : fmt::format(" ({} profile)", options.profile)),
      fmt::arg("count", runs.size()), fmt::arg("last", runs.empty() ? 0 : runs.size() - 1),
      fmt::arg("slurm", slurm_folder(out).string()), fmt::arg("ids", ids),
      fmt::arg("device", device), fmt::arg("how", how), fmt::arg("actlab", actlab),
      fmt::arg("file", shell_quote(fs::absolute(experiment_copy).string())),
      fmt::arg("out", shell_quote(out.string())),
      fmt::arg("profile", options.profile.empty() ? "" : " --profile " + options.profile));
}

}  // namespace actlab
