#pragma once

#include <string>
#include <vector>

#include "src/harness/verdict.h"

// The tests of verdict.cpp's evaluation, once both groups' values are collected (a and b set,
// at least one value each, none missing). Each sets kind, test, estimand, effect (and interval),
// and either tested + p + claimed (HOLDS or FAILS if the family's correction lets it), or an
// INCONCLUSIVE outcome with its reason.
namespace actlab::verdict_judges {

// A 0/1 metric: Fisher's exact test of equal rates, Clopper-Pearson intervals per group.
void judge_rates(VerdictResult& r);

// Censored values in a group: the exact rank test with Gehan's conservative comparisons; the
// effect is a bound.
void judge_censored(VerdictResult& r);

// Values picked from a grid per seed (verdict_across.h): few distinct values with ties, so the
// exact rank test, never a t interval; the effect of a ratio is of geometric means.
void judge_grid_values(VerdictResult& r);

// Exact values: paired or Welch's t (log values for a ratio), two one-sided tests for
// equivalence, or the bootstrap where asked and both groups have >= 10 runs. Reasons for an
// INCONCLUSIVE outcome are appended to `notes`.
void judge_values(VerdictResult& r, std::vector<std::string>& notes);

}  // namespace actlab::verdict_judges
