#include "src/harness/verdict_neighbours.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "src/core/spec.h"
#include "src/harness/run_metric.h"
#include "src/harness/tuning.h"
#include "src/harness/verdict_across.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

// A run's value of the verdict's metric, or why it has none.
struct Reading {
  std::optional<double> value;
  bool censored = false;
  std::string missing;
};

// As the verdict reads its groups (verdict.cpp): a speed or accuracy metric of a run that did not
// leave chance says nothing.
Reading read_value(const Experiment& e, const RunResult& run, const VerdictSpec& spec) {
  const auto status = run.status();
  if (status == RunStatus::diverged) return {std::nullopt, false, "diverged"};
  if (status != RunStatus::completed) return {std::nullopt, false, "not finished"};
  if (measures_training(spec.metric) && !spec.expects_untrained) {
    const auto error = run.summary.value("final_train_error", nlohmann::json());
    if (error.is_number() && !(error.get<double>() < e.trained_below)) {
      return {std::nullopt, false,
              fmt::format("not trained (final training error {})",
                          verdict_number(error.get<double>()))};
    }
  }
  const auto value = run_metric(run, spec.metric);
  if (!value.value || !std::isfinite(*value.value)) return {std::nullopt, false, "no value"};
  return {value.value, value.censored, ""};
}

NeighbourEffect compare(const Experiment& e, const VerdictResult& verdict, const RunResult& moved,
                        const std::string& side, const RunResult* partner,
                        const std::string& option) {
  NeighbourEffect effect;
  effect.side = side;
  effect.option = option;
  effect.value = run_field_text(moved, option);
  effect.seed = run_field_text(moved, "seed");
  const Reading here = read_value(e, moved, verdict.spec);
  const Reading there = partner ? read_value(e, *partner, verdict.spec)
                                : Reading{std::nullopt, false, "no partner run"};
  const Reading& a = side == "a" ? here : there;
  const Reading& b = side == "a" ? there : here;
  effect.a = a.value;
  effect.b = b.value;
  effect.a_censored = a.censored;
  effect.b_censored = b.censored;
  if (!here.missing.empty() || !there.missing.empty()) {
    effect.missing =
        !here.missing.empty() ? "neighbour run: " + here.missing : "partner run: " + there.missing;
    return effect;
  }
  if (a.censored && b.censored) {
    effect.missing = "both censored";
    return effect;
  }
  const bool ratio = verdict.spec.effect == "ratio";
  if (ratio && *b.value == 0) {
    effect.missing = "b is 0";
    return effect;
  }
  effect.effect = ratio ? *a.value / *b.value : *a.value - *b.value;
  // A censored value is a lower bound: a's makes the effect a lower bound, b's an upper one.
  if (a.censored) effect.bound = ">=";
  if (b.censored) effect.bound = "<=";
  return effect;
}

}  // namespace

void add_neighbour_effects(const Experiment& experiment, const RunSet& grid,
                           const std::vector<RunResult>& neighbours,
                           std::vector<VerdictResult>& verdicts) {
  if (!experiment.tune || neighbours.empty()) return;
  const std::string option = experiment.tune->option;
  std::vector<const RunResult*> partners;
  for (const auto& run : grid.finished) partners.push_back(&run);
  for (const auto& run : grid.diverged) partners.push_back(&run);
  for (auto& verdict : verdicts) {
    // A rate, or a value picked over the grid per seed: no one run's value to move.
    if (is_rate_metric(verdict.spec.metric) || parse_across(verdict.spec.metric) ||
        !verdict.spec.metric_b.empty())  // two metrics: a neighbour's one value compares nothing
      continue;
    for (const auto& run : neighbours) {
      if (!run_matches(run, verdict.scope_filter)) continue;
      const bool in_a = run_matches(run, verdict.spec.a), in_b = run_matches(run, verdict.spec.b);
      if (in_a == in_b) continue;  // in neither group (or, oddly, both)
      const auto& other = in_a ? verdict.spec.b : verdict.spec.a;
      const std::string seed = run_field_text(run, "seed");
      // One run at most: the verdict refused groups that pool other axes (check_not_pooled).
      const RunResult* partner = nullptr;
      for (const auto* candidate : partners) {
        if (run_matches(*candidate, verdict.scope_filter) && run_matches(*candidate, other) &&
            run_field_text(*candidate, "seed") == seed) {
          partner = candidate;
          break;
        }
      }
      verdict.neighbours.push_back(
          compare(experiment, verdict, run, in_a ? "a" : "b", partner, option));
    }
    std::stable_sort(verdict.neighbours.begin(), verdict.neighbours.end(),
                     [](const NeighbourEffect& x, const NeighbourEffect& y) {
                       return std::pair(x.side, value_order_key(x.value)) <
                              std::pair(y.side, value_order_key(y.value));
                     });
  }
}

std::vector<VerdictResult> evaluate_sweep_verdicts(const Experiment& experiment,
                                                   const fs::path& sweep, const RunSet& runs) {
  auto verdicts = evaluate_verdicts(experiment, runs);
  const fs::path folder = sweep / "neighbours";
  if (!experiment.tune || !experiment.tune->neighbours || !fs::exists(folder / "runs"))
    return verdicts;
  // Only the neighbours of the current choice, for each profile the grid's runs used.
  const TuneChoice choice = read_tune_choice(sweep);
  std::set<std::string> profiles, current;
  for (const auto& run : runs.finished) profiles.insert(run_profile(run));
  for (const auto& run : runs.diverged) profiles.insert(run_profile(run));
  for (const auto& profile : profiles) {
    for (const auto& spec : neighbour_runs(experiment, profile, choice)) current.insert(spec.id);
  }
  std::vector<RunResult> neighbours;
  for (auto& run : load_results(folder)) {
    if (current.count(run.id) && run.damage.empty()) neighbours.push_back(std::move(run));
  }
  add_neighbour_effects(experiment, runs, neighbours, verdicts);
  return verdicts;
}

std::string neighbours_text(const VerdictResult& verdict) {
  std::vector<std::string> parts;
  for (const auto& n : verdict.neighbours) {
    std::string text = fmt::format("{} {} for {} (seed {}): ", n.option, n.value, n.side, n.seed);
    if (!n.effect) {
      text += n.missing;
    } else {
      auto shown = [](const std::optional<double>& v, bool censored) {
        return (censored ? ">=" : "") + verdict_number(*v);
      };
      text += fmt::format("{} {} {} = {}{}", shown(n.a, n.a_censored),
                          verdict.spec.effect == "ratio" ? "/" : "-", shown(n.b, n.b_censored),
                          n.bound, verdict_number(*n.effect));
    }
    parts.push_back(text);
  }
  return join(parts, "; ");
}

}  // namespace actlab
