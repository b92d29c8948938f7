// The wait-free counting behind every histogram of a runner's metrics (the
// latency histograms in seconds, the count histograms of batch sizes): one
// bucket per bound plus the overflow, a sum and a count, all atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace caf_cluster {

/// A copy of a histogram at one moment, as Prometheus wants it.
struct histogram_snapshot {
  /// Upper bounds of the buckets in the histogram's base unit (seconds,
  /// or a count), ascending; +Inf is implied.
  std::vector<double> bounds;
  /// Observations at or below each bound (cumulative), one per bound.
  std::vector<uint64_t> cumulative;
  /// All observations, the +Inf bucket.
  uint64_t count = 0;
  /// The observed values summed, in the base unit.
  double sum = 0;
};

/// Buckets over fixed `bounds`. `record` is wait-free. A snapshot taken
/// during recordings keeps what a scraper relies on (buckets cumulative,
/// none above `count`); its sum may miss the recordings in flight.
class histogram_cells {
public:
  /// Cells for `bounds` (ascending); the sum is kept in units of
  /// `1 / sum_scale` of the base unit (1e9 for seconds kept as nanoseconds).
  histogram_cells(std::vector<double> bounds, double sum_scale);

  /// Records `value` (in the base unit) whose sum share is `scaled` (the
  /// value times `sum_scale`, kept exactly as an integer).
  void record(double value, uint64_t scaled) noexcept;

  /// Copies the current counts.
  histogram_snapshot snapshot() const;

private:
  std::vector<double> bounds_;
  double sum_scale_;
  // One slot per bound plus the overflow; not cumulative (a single add).
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> count_{0};
};

} // namespace caf_cluster
