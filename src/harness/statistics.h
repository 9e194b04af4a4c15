#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace actlab {

inline double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / values.size();
}

// Sample standard deviation (n - 1); 0 for fewer than two values.
inline double sample_std(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double mean = mean_of(values);
  double variance = 0;
  for (double v : values) variance += (v - mean) * (v - mean);
  return std::sqrt(variance / (values.size() - 1));
}

// FNV-1a: a stable 64-bit hash for run ids and seeds derived from text.
inline uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

}  // namespace actlab
