#include "caf_cluster/latency_histogram.hpp"

#include <algorithm>

namespace caf_cluster {

void latency_histogram::observe(std::chrono::nanoseconds duration) noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  auto ns = std::max<int64_t>(duration.count(), 0);
  auto seconds = static_cast<double>(ns) / 1e9;
  // The first bound at or above the value: Prometheus buckets are "le".
  auto i = static_cast<size_t>(
    std::lower_bound(bucket_bounds.begin(), bucket_bounds.end(), seconds)
    - bucket_bounds.begin());
  buckets_[i].fetch_add(1, relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(ns), relaxed);
  // Last and with release: a reader that sees the count sees the bucket.
  count_.fetch_add(1, std::memory_order_release);
}

histogram_snapshot latency_histogram::snapshot() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  histogram_snapshot result;
  result.count = count_.load(std::memory_order_acquire);
  result.sum_seconds = static_cast<double>(sum_ns_.load(relaxed)) / 1e9;
  result.bounds.assign(bucket_bounds.begin(), bucket_bounds.end());
  uint64_t running = 0;
  for (size_t i = 0; i < bucket_bounds.size(); ++i) {
    running += buckets_[i].load(relaxed);
    result.cumulative.push_back(running);
  }
  // Buckets read after the count may hold newer observations: keep the
  // exposition monotonic (every bucket at most +Inf).
  running += buckets_.back().load(relaxed);
  result.count = std::max(result.count, running);
  return result;
}

} // namespace caf_cluster
