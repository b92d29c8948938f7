#include "caf_cluster/histogram_cells.hpp"

#include <algorithm>

namespace caf_cluster {

histogram_cells::histogram_cells(std::vector<double> bounds, double sum_scale)
  : bounds_(std::move(bounds)), sum_scale_(sum_scale),
    buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram_cells::record(double value, uint64_t scaled) noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  // The first bound at or above the value: Prometheus buckets are "le".
  auto i = static_cast<size_t>(
    std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, relaxed);
  sum_.fetch_add(scaled, relaxed);
  // Last and with release: a reader that sees the count sees the bucket.
  count_.fetch_add(1, std::memory_order_release);
}

histogram_snapshot histogram_cells::snapshot() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  histogram_snapshot result;
  result.count = count_.load(std::memory_order_acquire);
  result.sum = static_cast<double>(sum_.load(relaxed)) / sum_scale_;
  result.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(relaxed);
    result.cumulative.push_back(running);
  }
  // Buckets read after the count may hold newer observations: keep the
  // exposition monotonic (every bucket at most +Inf).
  running += buckets_[bounds_.size()].load(relaxed);
  result.count = std::max(result.count, running);
  return result;
}

} // namespace caf_cluster
