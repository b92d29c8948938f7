#include "caf_cluster/latency_histogram.hpp"

#include <algorithm>

namespace caf_cluster {

latency_histogram::latency_histogram()
  : cells_({bucket_bounds.begin(), bucket_bounds.end()}, 1e9) {
  // nop
}

void latency_histogram::observe(std::chrono::nanoseconds duration) noexcept {
  auto ns = std::max<int64_t>(duration.count(), 0);
  cells_.record(static_cast<double>(ns) / 1e9, static_cast<uint64_t>(ns));
}

histogram_snapshot latency_histogram::snapshot() const {
  return cells_.snapshot();
}

count_histogram::count_histogram()
  : cells_({bucket_bounds.begin(), bucket_bounds.end()}, 1) {
  // nop
}

void count_histogram::observe(uint64_t value) noexcept {
  cells_.record(static_cast<double>(value), value);
}

histogram_snapshot count_histogram::snapshot() const {
  return cells_.snapshot();
}

} // namespace caf_cluster
