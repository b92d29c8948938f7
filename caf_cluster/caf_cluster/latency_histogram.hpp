// A latency distribution that hot paths record into without a lock and that
// readers copy as a Prometheus histogram (cumulative buckets, sum, count).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

namespace caf_cluster {

/// A copy of a latency_histogram at one moment.
struct histogram_snapshot {
  /// Upper bounds of the buckets in seconds, ascending; +Inf is implied.
  std::vector<double> bounds;
  /// Observations at or below each bound (cumulative), one per bound.
  std::vector<uint64_t> cumulative;
  /// All observations, the +Inf bucket.
  uint64_t count = 0;
  /// The observed durations summed, in seconds.
  double sum_seconds = 0;
};

/// Fixed buckets from 0.5 ms to 10 s (Prometheus' default ladder with a
/// finer low end, since a local ask takes microseconds to a few ms).
/// `observe` is wait-free. A snapshot taken during observations keeps what a
/// scraper relies on (buckets cumulative, none above `count`); its sum may
/// miss the observations in flight.
class latency_histogram {
public:
  /// The upper bounds of the buckets, in seconds.
  static constexpr std::array<double, 14> bucket_bounds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  /// Records one duration; negative durations count as zero.
  void observe(std::chrono::nanoseconds duration) noexcept;

  /// Copies the current counts.
  histogram_snapshot snapshot() const;

private:
  // One slot per bound plus the overflow; not cumulative (a single add).
  std::array<std::atomic<uint64_t>, bucket_bounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> count_{0};
};

} // namespace caf_cluster
