#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace actlab {

// A permutation of 0..n-1 that depends only on `seed` (Fisher-Yates over std::mt19937_64, whose
// output the C++ standard fixes), so data preparation and subsets are the same on every machine.
inline std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 engine(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(engine() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

}  // namespace actlab
