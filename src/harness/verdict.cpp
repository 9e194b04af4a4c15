#include "src/harness/verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "src/core/error.h"
#include "src/core/spec.h"
#include "src/harness/run_metric.h"
#include "src/harness/verdict_across.h"
#include "src/harness/verdict_judges.h"

namespace actlab {

namespace {

using namespace verdict_judges;

// The family's level: HOLDS or FAILS need a Holm-adjusted p below it.
constexpr double kAlpha = 0.05;

// A group must differ only in seed: averaging over another grid axis (two learning rates, say)
// would answer a question nobody asked, unless the verdict pools it on purpose (`pool`).
void check_not_pooled(const Experiment& e, const VerdictSpec& v, const std::string& side,
                      const std::vector<const RunResult*>& group) {
  std::map<std::string, std::set<std::string>> values;
  for (const auto* run : group) {
    if (!run->run.contains("axes")) continue;
    for (const auto& [key, value] : run->run["axes"].items()) {
      if (key != "seed")
        values[key].insert(value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  for (const auto& [key, distinct] : values) {
    if (distinct.size() > 1 && std::find(v.pool.begin(), v.pool.end(), key) == v.pool.end()) {
      throw Error(
          fmt::format("{}:{}: verdict \"{}\": group {} pools runs with {} = {}: add {} to a and b, "
                      "or to per (or to pool, for a rate over a grid)",
                      e.file.string(), v.line, v.says, side, key,
                      join(std::vector<std::string>(distinct.begin(), distinct.end())), key));
    }
  }
}

// The group's runs in seed order (numbers by value), values read, missing ones counted.
struct Collected {
  VerdictGroup group;
  int missing = 0, unrecorded = 0;
  bool recorded = false;
  std::vector<std::string> untrained;    // "seed 2: 0.899"
  std::vector<std::string> missing_why;  // a value picked over the grid: "seed 3: trains at no lr"
};

// One value per seed picked over the grid's `axis` (verdict_across.h).
Collected collect_grid(const Experiment& e, const VerdictSpec& spec, const AcrossMetric& metric,
                       const std::vector<const RunResult*>& runs) {
  auto values = collect_across(metric, runs, e.trained_below);
  Collected out;
  out.group = std::move(values.group);
  out.recorded = true;
  out.missing_why = std::move(values.missing);
  // A claim that a group does not train counts its untrained seeds as missing values instead.
  auto& untrained = spec.expects_untrained ? out.missing_why : out.untrained;
  untrained.insert(untrained.end(), values.untrained.begin(), values.untrained.end());
  out.missing = static_cast<int>(out.missing_why.size());
  return out;
}

Collected collect(const Experiment& e, const VerdictSpec& spec,
                  std::vector<const RunResult*> runs) {
  std::stable_sort(runs.begin(), runs.end(), [](const RunResult* x, const RunResult* y) {
    return value_order_key(run_field_text(*x, "seed")) <
           value_order_key(run_field_text(*y, "seed"));
  });
  Collected out;
  // A rate of reaching a target is about trainability itself: no run is left out for it.
  const bool about_training =
      measures_training(spec.metric) && !spec.expects_untrained && !is_rate_metric(spec.metric);
  for (const auto* run : runs) {
    const std::string seed = run_field_text(*run, "seed");
    if (about_training) {
      const auto error = run->summary.value("final_train_error", nlohmann::json());
      if (error.is_number() && !(error.get<double>() < e.trained_below)) {
        out.untrained.push_back(
            fmt::format("seed {}: {}", seed, verdict_number(error.get<double>())));
      }
    }
    const auto value = run_metric(*run, spec.metric);
    out.recorded = out.recorded || value.recorded;
    if (value.value && std::isfinite(*value.value)) {
      out.group.seeds.push_back(seed);
      out.group.values.push_back(*value.value);
      out.group.censored.push_back(value.censored);
    } else if (value.recorded) {
      ++out.missing;  // not finite, or absent: never dropped silently
    } else {
      ++out.unrecorded;
    }
  }
  out.group.mean = mean_of(out.group.values);
  out.group.sd = sample_std(out.group.values);
  return out;
}

VerdictResult evaluate_one(const Experiment& e, const VerdictSpec& spec, const std::string& scope,
                           const std::vector<const RunResult*>& pool,
                           const std::vector<const RunResult*>& left_out) {
  VerdictResult result;
  result.spec = spec;
  result.scope = scope;
  std::vector<const RunResult*> group_a, group_b;
  for (const auto* run : pool) {
    if (run_matches(*run, spec.a)) group_a.push_back(run);
    if (run_matches(*run, spec.b)) group_b.push_back(run);
  }
  const auto across = parse_across(spec.metric);
  VerdictSpec pooling = spec;  // a value picked over an axis pools that axis by definition
  if (across) pooling.pool.push_back(across->axis);
  check_not_pooled(e, pooling, "a", group_a);
  check_not_pooled(e, pooling, "b", group_b);
  const Collected a = across ? collect_grid(e, spec, *across, group_a) : collect(e, spec, group_a);
  VerdictSpec spec_b = spec;  // b's values: metric_b where the file gives it
  if (!spec.metric_b.empty()) spec_b.metric = spec.metric_b;
  const Collected b =
      across ? collect_grid(e, spec, *across, group_b) : collect(e, spec_b, group_b);
  result.a = a.group;
  result.b = b.group;
  if (group_a.empty() || group_b.empty()) {
    result.outcome = "NO DATA";
    result.note = fmt::format("no finished run in group {}", group_a.empty() ? "a" : "b");
    return result;
  }
  if (!a.recorded && !b.recorded) {
    result.outcome = "NO DATA";
    result.note = fmt::format("no run records '{}'", spec.metric);
    return result;
  }
  if (!a.untrained.empty() || !b.untrained.empty()) {
    std::vector<std::string> parts;
    for (const auto& [side, c, size] :
         {std::tuple{"a", &a, group_a.size()}, std::tuple{"b", &b, group_b.size()}}) {
      if (c->untrained.empty()) continue;
      if (across) {
        const size_t seeds = c->group.values.size() + c->missing_why.size() + c->untrained.size();
        parts.push_back(fmt::format("{} ({}): {} of {} seeds did not train ({})", side,
                                    describe_filter(side[0] == 'a' ? spec.a : spec.b),
                                    c->untrained.size(), seeds, join(c->untrained, "; ")));
        continue;
      }
      parts.push_back(fmt::format("{} ({}): {} of {} runs ended at training error {}", side,
                                  describe_filter(side[0] == 'a' ? spec.a : spec.b),
                                  c->untrained.size(), size, join(c->untrained)));
    }
    result.outcome = "NOT TRAINED";
    result.note =
        join(parts, "; ") + fmt::format(
                                " (not below trained_below = {}): a speed or accuracy comparison "
                                "needs nets that trained",
                                format_number(e.trained_below));
    return result;
  }
  std::vector<std::string> notes;
  // Diverged runs are not averaged into a speed or accuracy value; say so, with their seeds.
  for (const auto& [side, filter] : {std::pair{"a", &spec.a}, std::pair{"b", &spec.b}}) {
    std::vector<std::string> seeds;
    for (const auto* run : left_out) {
      if (run_matches(*run, *filter)) seeds.push_back(run_field_text(*run, "seed"));
    }
    if (!seeds.empty()) {
      notes.push_back(fmt::format("{} diverged run{} in {} left out (seed {})", seeds.size(),
                                  seeds.size() == 1 ? "" : "s", side, join(seeds, ", ")));
    }
  }
  for (const auto& [side, c, size] :
       {std::tuple{"a", &a, group_a.size()}, std::tuple{"b", &b, group_b.size()}}) {
    // An early area is missing for the runs that stopped at their target before its epoch: the
    // fastest ones, so the verdict must not be read as if they were merely absent.
    const bool early_area = spec.metric.rfind("train_error_auc.epoch", 0) == 0;
    if (!c->missing_why.empty()) {
      notes.push_back(fmt::format("{}: {}", side, join(c->missing_why, "; ")));
    } else if (c->missing > 0)
      notes.push_back(fmt::format(
          "{} of {} runs in {} have no finite value{}", c->missing, size, side,
          early_area ? " (a run that stopped at its target before that epoch has no early area: "
                       "choose an earlier epoch)"
                     : ""));
    if (c->unrecorded > 0)
      notes.push_back(
          fmt::format("{} of {} runs in {} do not record it", c->unrecorded, size, side));
  }
  if (a.missing + a.unrecorded + b.missing + b.unrecorded > 0 || result.a.values.empty() ||
      result.b.values.empty()) {
    result.outcome = "INCONCLUSIVE";
    result.note = join(notes, "; ");
    return result;
  }
  if (across) {
    judge_grid_values(result);
  } else if (is_rate_metric(spec.metric)) {
    judge_rates(result);
  } else if (result.a.censored_count() + result.b.censored_count() > 0) {
    judge_censored(result);
  } else {
    judge_values(result, notes);
  }
  if (!result.note.empty()) notes.push_back(result.note);
  result.note = join(notes, "; ");
  return result;
}

// Holm's correction over the file's tested verdicts that can reach significance (Tarone's rule:
// a rank or Fisher test over few runs whose smallest possible p is too large is left out, noted,
// instead of diluting the others); the outcome follows the adjusted p.
void correct_for_multiplicity(std::vector<VerdictResult>& results) {
  std::vector<VerdictResult*> tested;
  std::vector<double> min_p;
  for (auto& r : results) {
    if (!r.tested) continue;
    tested.push_back(&r);
    min_p.push_back(r.min_p);
  }
  const auto testable = tarone_testable(min_p, kAlpha);
  std::vector<VerdictResult*> family;
  std::vector<double> p;
  for (size_t i = 0; i < tested.size(); ++i) {
    if (testable[i]) {
      family.push_back(tested[i]);
      p.push_back(tested[i]->p);
      continue;
    }
    auto& r = *tested[i];
    r.tested = false;
    r.outcome = "INCONCLUSIVE";
    const std::string why = fmt::format(
        "with {} and {} runs this test cannot reach significance (smallest possible p {}): left "
        "out of the correction",
        r.a.values.size(), r.b.values.size(), verdict_number(r.min_p));
    r.note = r.note.empty() ? why : r.note + "; " + why;
  }
  const auto adjusted = holm_adjust(p);
  for (size_t i = 0; i < family.size(); ++i) {
    auto& r = *family[i];
    r.p_adjusted = adjusted[i];
    r.family = static_cast<int>(family.size());
    if (r.p_adjusted < kAlpha) {
      r.outcome = r.claimed;
      continue;
    }
    r.outcome = "INCONCLUSIVE";
    const std::string why =
        fmt::format("not significant: Holm-adjusted p = {} over {} test{}",
                    verdict_number(r.p_adjusted), r.family, r.family == 1 ? "" : "s");
    r.note = r.note.empty() ? why : r.note + "; " + why;
  }
}

}  // namespace

size_t VerdictGroup::censored_count() const {
  return static_cast<size_t>(std::count(censored.begin(), censored.end(), true));
}

std::vector<VerdictResult> evaluate_verdicts(const Experiment& experiment, const RunSet& runs) {
  std::vector<VerdictResult> results;
  for (const auto& spec : experiment.verdicts) {
    std::vector<const RunResult*> pool, left_out;
    for (const auto& run : runs.finished) pool.push_back(&run);
    for (const auto& run : runs.diverged) (spec.include_diverged ? pool : left_out).push_back(&run);
    if (spec.per.empty()) {
      results.push_back(evaluate_one(experiment, spec, "", pool, left_out));
      continue;
    }
    // One verdict per combination of the `per` columns' values: numbers in numeric order
    // (depth 4, 8, 16), then other text in text order.
    std::vector<std::vector<std::pair<std::string, std::string>>> scopes;
    for (const auto* run : pool) {
      std::vector<std::pair<std::string, std::string>> scope;
      for (const auto& key : spec.per) scope.emplace_back(key, run_field_text(*run, key));
      if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
    }
    std::sort(scopes.begin(), scopes.end(), [](const auto& x, const auto& y) {
      for (size_t i = 0; i < x.size(); ++i) {
        const auto kx = value_order_key(x[i].second), ky = value_order_key(y[i].second);
        if (kx != ky) return kx < ky;
      }
      return false;
    });
    for (const auto& scope : scopes) {
      std::vector<const RunResult*> in_scope, left_out_in_scope;
      for (const auto* run : pool) {
        if (run_matches(*run, scope)) in_scope.push_back(run);
      }
      for (const auto* run : left_out) {
        if (run_matches(*run, scope)) left_out_in_scope.push_back(run);
      }
      results.push_back(
          evaluate_one(experiment, spec, describe_filter(scope), in_scope, left_out_in_scope));
      results.back().scope_filter = scope;
    }
  }
  correct_for_multiplicity(results);
  return results;
}

}  // namespace actlab
