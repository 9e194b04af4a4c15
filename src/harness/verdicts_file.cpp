#include "src/harness/verdicts_file.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <utility>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/results.h"
#include "src/harness/verdict_neighbours.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kVerdictsFile = "verdicts.json";

nlohmann::json verdicts_record(const Experiment& experiment, const RunSet& runs,
                               const std::vector<VerdictResult>& verdicts) {
  nlohmann::json json = {{"experiment", experiment.name},
                         {"finished_runs", runs.finished.size()},
                         {"diverged_runs", runs.diverged.size()},
                         {"apart_runs", runs.apart.size()},
                         {"verdicts", nlohmann::json::array()}};
  for (const auto& verdict : verdicts) json["verdicts"].push_back(to_json(verdict));
  return json;
}

}  // namespace

std::vector<VerdictResult> write_verdicts(const fs::path& dir) {
  const Experiment experiment = load_experiment(dir / "experiment.toml");
  return write_verdicts(dir, experiment, classify_runs(dir, load_results(dir)));
}

std::vector<VerdictResult> write_verdicts(const fs::path& dir, const Experiment& experiment,
                                          const RunSet& runs) {
  auto verdicts = evaluate_sweep_verdicts(experiment, dir, runs);
  write_file_atomic(dir / kVerdictsFile,
                    verdicts_record(experiment, runs, verdicts).dump(2) + "\n");
  return verdicts;
}

void print_verdicts(const fs::path& dir) {
  try {
    const auto verdicts = write_verdicts(dir);
    fmt::print("\nVerdicts ({}; `actlab verdict {}`):\n{}", (dir / kVerdictsFile).string(),
               dir.string(), verdict_table(verdicts));
  } catch (const std::exception& error) {
    fmt::print("verdicts not computed: {}\n", error.what());  // the runs themselves are kept
  }
}

nlohmann::json read_verdicts(const fs::path& dir, const Experiment& experiment,
                             const RunSet& runs) {
  if (experiment.verdicts.empty()) return nlohmann::json::array();  // no file is written then
  const fs::path file = dir / kVerdictsFile;
  const std::string fix = fmt::format("run `actlab verdict {}`", dir.string());
  if (!fs::exists(file))
    throw Error(fmt::format("{} is missing: {} to judge the runs", file.string(), fix));
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{} is not JSON (half-written?): {} again", file.string(), fix));
  }
  if (!record.is_object() || !record.contains("verdicts") || !record["verdicts"].is_array())
    throw Error(fmt::format("{} holds no verdicts list: {} again", file.string(), fix));
  // The runs it judged: a sweep that has gone on since (or records edited) makes it stale.
  const std::pair<const char*, size_t> counts[] = {{"finished_runs", runs.finished.size()},
                                                   {"diverged_runs", runs.diverged.size()},
                                                   {"apart_runs", runs.apart.size()}};
  for (const auto& [field, now] : counts) {
    const auto judged = record.value(field, nlohmann::json());
    if (!judged.is_number_unsigned() || judged.get<size_t>() != now) {
      throw Error(fmt::format("{} is stale: it judged {} {}, the folder now has {}: {}",
                              file.string(), judged.dump(), field, now, fix));
    }
  }
  // The verdicts it holds: those of the experiment file as it is now.
  std::set<std::pair<int, std::string>> declared, written;
  for (const auto& spec : experiment.verdicts) declared.emplace(spec.line, spec.says);
  for (const auto& verdict : record["verdicts"]) {
    if (!verdict.is_object() || !verdict.value("line", nlohmann::json()).is_number_integer() ||
        !verdict.value("says", nlohmann::json()).is_string()) {
      throw Error(fmt::format("{} has a verdict without its line and sentence: {} again",
                              file.string(), fix));
    }
    written.emplace(verdict["line"].get<int>(), verdict["says"].get<std::string>());
  }
  if (declared != written) {
    throw Error(fmt::format("{} is stale: its verdicts are not those of {}: {}", file.string(),
                            (dir / "experiment.toml").string(), fix));
  }
  return record["verdicts"];
}

}  // namespace actlab
