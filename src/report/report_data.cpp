// report.json: groups of finished runs, runs listed apart, provenance and verdicts per folder.
#include "src/report/report_data.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/harness/experiment.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "src/harness/verdicts_file.h"
#include "src/report/report_parts.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// Heatmap quantities (layers.jsonl fields) and whether their colour scale is logarithmic.
const std::vector<std::pair<std::string, bool>> kHeatmaps = {{"dead_fraction", false},
                                                             {"sparsity", false},
                                                             {"saturation_fraction", false},
                                                             {"grad_act_rms", true}};

// The zig-zag of updates (src/probes/update_path): per group, each field's mean over layers.
const std::vector<std::string> kUpdatePathFields = {"consumer_weight_path_efficiency",
                                                    "consumer_weight_update_cosine"};

// config.json fields that are paths or per-machine details, not the configuration.
const std::set<std::string> kNotConfiguration = {"out_dir", "data_dir", "threads", "device"};

std::string text_of(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A group is the grid values except seed (and the profile when a folder mixes profiles); a run
// without grid values (a single `actlab train` folder) is its own group.
std::vector<std::pair<std::string, std::string>> group_axes(const RunResult& run,
                                                            bool with_profile) {
  std::vector<std::pair<std::string, std::string>> axes;
  const auto it = run.run.find("axes");
  if (it == run.run.end() || !it->is_object() || it->empty()) return {{"run", run.id}};
  for (const auto& [key, value] : it->items()) {
    if (key != "seed") axes.emplace_back(key, text_of(value));
  }
  if (with_profile) axes.emplace_back("profile", run.run.value("profile", ""));
  return axes;
}

std::string label_of(const std::vector<std::pair<std::string, std::string>>& axes) {
  std::string label;
  for (const auto& [key, value] : axes) label += (label.empty() ? "" : ", ") + key + "=" + value;
  return label.empty() ? "all runs" : label;
}

nlohmann::json provenance_of(const RunResult& run) {
  const auto resolved = run.config.value("resolved", nlohmann::json::object());
  return {{"git_commit", resolved.value("git_commit", "")},
          {"libtorch_version", resolved.value("libtorch_version", "")},
          {"actlab_version", resolved.value("actlab_version", "")},
          {"device", run.config.value("device", "")}};
}

nlohmann::json outcome_of(const RunResult& run) {
  nlohmann::json outcome = nlohmann::json::object();
  for (const char* field : {"epochs_completed", "final_test_error", "best_test_error",
                            "final_train_error", "total_seconds", "message"}) {
    outcome[field] = run.summary.contains(field) ? run.summary[field] : nlohmann::json(nullptr);
  }
  return outcome;
}

// The scalar configuration fields every run shares, and per run the ones that differ.
std::pair<nlohmann::json, std::map<std::string, nlohmann::json>> split_configuration(
    const std::vector<const RunResult*>& runs) {
  std::map<std::string, std::set<std::string>> seen;
  for (const auto* run : runs) {
    for (const auto& [key, value] : run->config.items()) {
      if (!value.is_structured() && !kNotConfiguration.count(key)) seen[key].insert(value.dump());
    }
  }
  nlohmann::json common = nlohmann::json::object();
  std::map<std::string, nlohmann::json> differing;
  for (const auto* run : runs) {
    nlohmann::json own = nlohmann::json::object();
    for (const auto& [key, value] : run->config.items()) {
      if (value.is_structured() || kNotConfiguration.count(key)) continue;
      bool everywhere = seen[key].size() == 1;
      for (const auto* other : runs) everywhere = everywhere && other->config.contains(key);
      (everywhere ? common[key] : own[key]) = value;
    }
    differing[run->id] = own;
  }
  return {common, differing};
}

struct Group {
  std::vector<std::pair<std::string, std::string>> axes;
  std::vector<const RunResult*> runs;
  size_t order = 0;  // position of its first run in the grid
};

nlohmann::json group_json(const Group& group, const fs::path& runs_dir) {
  std::vector<std::string> fields;
  for (const auto& [field, log] : kHeatmaps) fields.push_back(field);
  std::set<std::string> activations;
  nlohmann::json ids = nlohmann::json::array(), seeds = nlohmann::json::array();
  std::vector<fs::path> dirs;
  for (const auto* run : group.runs) {
    ids.push_back(run->id);
    seeds.push_back(run->config.contains("seed") ? run->config["seed"] : nlohmann::json(nullptr));
    activations.insert(run->config.value("activation", ""));
    dirs.push_back(runs_dir / run->id);
  }
  // One activation per group (an axis or the base); otherwise no derivative factor.
  const nlohmann::json derivative =
      activations.size() == 1 ? report::max_abs_derivative(*activations.begin()) : nullptr;
  nlohmann::json axes = nlohmann::json::object();
  for (const auto& [key, value] : group.axes) axes[key] = value;
  nlohmann::json run_curves = nlohmann::json::array();  // in the order of "runs"
  for (const auto* run : group.runs) run_curves.push_back(report::run_curve(*run));
  return {
      {"label", label_of(group.axes)},
      {"axes", axes},
      {"runs", ids},
      {"seeds", seeds},
      {"activation", activations.size() == 1 ? *activations.begin() : ""},
      {"curves", report::group_curves(group.runs)},
      {"run_curves", run_curves},
      {"targets", report::group_targets(group.runs)},
      {"layer_maps", report::group_layer_maps(group.runs, fields)},
      {"update_paths", report::group_layer_means(group.runs, kUpdatePathFields)},
      {"gradient_flow", report::group_gradient_flow(
                            group.runs, derivative.is_number() ? derivative.get<double>() : NAN)},
      {"histograms", report::group_histograms(dirs)}};
}

// With `depth` a grid axis of several values: the ratio grad_act_rms first layer / last layer at
// the first and last probe against depth, per group of the other axes, with m^(L-1).
nlohmann::json depth_sweep(const nlohmann::json& groups) {
  std::map<std::string, nlohmann::json> series;
  std::vector<std::string> order;
  for (const auto& group : groups) {
    if (!group["axes"].contains("depth") || group["gradient_flow"].is_null()) continue;
    auto rest = group["axes"];
    rest.erase("depth");
    std::vector<std::pair<std::string, std::string>> rest_axes;
    for (const auto& [key, value] : rest.items()) rest_axes.emplace_back(key, value);
    const std::string label = label_of(rest_axes);
    if (!series.count(label)) {
      order.push_back(label);
      series[label] = {{"label", label},
                       {"max_abs_derivative", group["gradient_flow"]["max_abs_derivative"]},
                       {"depth", nlohmann::json::array()},
                       {"layers", nlohmann::json::array()},
                       {"ratio_first", nlohmann::json::array()},
                       {"ratio_last", nlohmann::json::array()},
                       {"bound", nlohmann::json::array()}};
    }
    auto& s = series[label];
    const auto& flow = group["gradient_flow"];
    const size_t layers = flow["index"].size();
    auto ratio = [&](const char* when) {
      const auto& mean = flow[when]["mean"];
      return mean.front().is_number() && mean.back().is_number() && mean.back() != 0
                 ? nlohmann::json(mean.front().get<double>() / mean.back().get<double>())
                 : nlohmann::json(nullptr);
    };
    s["depth"].push_back(std::stod(text_of(group["axes"]["depth"])));
    s["layers"].push_back(layers);
    s["ratio_first"].push_back(ratio("first"));
    s["ratio_last"].push_back(ratio("last"));
    const auto& m = flow["max_abs_derivative"];
    s["bound"].push_back(m.is_number() ? nlohmann::json(std::pow(m.get<double>(), layers - 1))
                                       : nlohmann::json(nullptr));
  }
  std::set<double> depths;
  for (const auto& [label, s] : series) {
    for (const auto& d : s["depth"]) depths.insert(d.get<double>());
  }
  if (depths.size() < 2) return nullptr;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& label : order) list.push_back(series[label]);
  return list;
}

// A sweep folder (runs/*), or a single run folder (config.json in DIR).
std::pair<std::vector<RunResult>, fs::path> runs_in(const fs::path& dir) {
  if (is_run_folder(dir)) return {{load_run(dir)}, dir.parent_path()};
  return {load_results(dir), dir / "runs"};
}

nlohmann::json source_json(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw Error(
        fmt::format("'{}' is not a folder: give a sweep folder or a run folder", dir.string()));
  auto [results, runs_dir] = runs_in(dir);
  if (results.empty()) {
    throw Error(fmt::format(
        "'{}' holds no runs (neither config.json nor runs/*/config.json): give a sweep folder "
        "made by `actlab run` or a run folder made by `actlab train --out`",
        dir.string()));
  }
  const bool sweep = fs::exists(dir / "experiment.toml");
  const RunSet set = classify_runs(dir, std::move(results));

  // The folder as given: a relative path keeps a committed report free of one machine's folders.
  nlohmann::json source = {{"dir", dir.lexically_normal().string()},
                           {"name", fs::absolute(dir).lexically_normal().filename().string()},
                           {"experiment", nullptr},
                           {"grid_note", set.grid_note},
                           {"verdicts", nlohmann::json::array()},
                           {"verdict_error", nullptr}};
  // Grid order: the experiment's expansion for each profile the runs used.
  std::map<std::string, size_t> grid_position;
  if (sweep) {
    try {
      const Experiment experiment = load_experiment(dir / "experiment.toml");
      source["name"] = experiment.name;
      source["experiment"] = {{"name", experiment.name},       {"claim", experiment.claim},
                              {"source", experiment.source},   {"regime", experiment.regime},
                              {"control", experiment.control}, {"budget", experiment.budget}};
      std::set<std::string> profiles;
      for (const auto& run : set.finished) profiles.insert(run.run.value("profile", ""));
      for (const auto& profile : profiles) {
        for (const auto& spec : expand(experiment, profile))
          grid_position.emplace(spec.id, grid_position.size());
      }
      source["verdicts"] = read_verdicts(dir, experiment, set);  // as the verdict engine wrote them
    } catch (const Error& error) {
      source["verdict_error"] = error.what();
    }
  }

  std::set<std::string> profiles;
  for (const auto& run : set.finished) profiles.insert(run.run.value("profile", ""));
  std::map<std::vector<std::pair<std::string, std::string>>, Group> by_axes;
  for (const auto& run : set.finished) {
    auto& group = by_axes[group_axes(run, profiles.size() > 1)];
    group.axes = group_axes(run, profiles.size() > 1);
    const auto at = grid_position.find(run.id);
    const size_t order = at != grid_position.end() ? at->second : grid_position.size();
    group.order = group.runs.empty() ? order : std::min(group.order, order);
    group.runs.push_back(&run);
  }
  std::vector<const Group*> groups;
  for (const auto& [axes, group] : by_axes) groups.push_back(&group);
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group* a, const Group* b) { return a->order < b->order; });
  source["groups"] = nlohmann::json::array();
  std::map<std::string, std::string> group_of_run;
  for (const auto* group : groups) {
    source["groups"].push_back(group_json(*group, runs_dir));
    for (const auto* run : group->runs) group_of_run[run->id] = label_of(group->axes);
  }
  source["depth_sweep"] = depth_sweep(source["groups"]);

  // Every run with its class, configuration and provenance; diverged and apart runs with their
  // own curves, never averaged.
  std::vector<std::tuple<const RunResult*, std::string, std::string>> all;
  for (const auto& run : set.finished) all.emplace_back(&run, "finished", "");
  for (const auto& run : set.diverged) all.emplace_back(&run, "diverged", "diverged");
  for (const auto& apart : set.apart) all.emplace_back(&apart.run, "apart", apart.reason);
  std::vector<const RunResult*> all_runs;
  for (const auto& entry : all) all_runs.push_back(std::get<0>(entry));
  const auto [common, differing] = split_configuration(all_runs);
  source["common_config"] = common;
  source["runs"] = nlohmann::json::array();
  source["apart"] = nlohmann::json::array();
  for (const auto& [run, kind, reason] : all) {
    nlohmann::json axes = run->run.value("axes", nlohmann::json::object());
    nlohmann::json entry = {
        {"id", run->id},
        {"class", kind},
        {"reason", reason},
        {"status", run->summary.value("status", "")},
        {"group", group_of_run.count(run->id) ? nlohmann::json(group_of_run[run->id])
                                              : nlohmann::json(nullptr)},
        {"axes", axes},
        {"config", differing.at(run->id)},
        {"provenance", provenance_of(*run)},
        {"outcome", outcome_of(*run)}};
    source["runs"].push_back(entry);
    if (kind != "finished") {
      source["apart"].push_back({{"id", run->id},
                                 {"reason", reason},
                                 {"status", entry["status"]},
                                 {"axes", axes},
                                 {"curve", report::run_curve(*run)}});
    }
  }
  return source;
}

}  // namespace

nlohmann::json report_data(const std::vector<fs::path>& dirs) {
  nlohmann::json heatmaps = nlohmann::json::array();
  for (const auto& [field, log] : kHeatmaps) heatmaps.push_back({{"field", field}, {"log", log}});
  nlohmann::json report = {{"schema", "actlab-report/1"},
                           {"band", "min-max over the group's runs (seeds)"},
                           {"heatmaps", heatmaps},
                           {"generated_by",
                            {{"actlab_version", actlab_version()},
                             {"git_commit", git_commit()},
                             {"libtorch_version", torch_version()}}},
                           {"sources", nlohmann::json::array()}};
  for (const auto& dir : dirs) report["sources"].push_back(source_json(dir));
  return report;
}

}  // namespace actlab
