// Distributions that hot paths record into without a lock and that readers
// copy as Prometheus histograms (cumulative buckets, sum, count): latencies
// in seconds, and sizes (rows per storage commit) as counts.
#pragma once

#include <array>
#include <chrono>

#include "caf_cluster/histogram_cells.hpp"

namespace caf_cluster {

/// Fixed buckets from 0.5 ms to 10 s (Prometheus' default ladder with a
/// finer low end, since a local ask takes microseconds to a few ms).
/// `observe` is wait-free (see `histogram_cells`).
class latency_histogram {
public:
  /// The upper bounds of the buckets, in seconds.
  static constexpr std::array<double, 14> bucket_bounds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  latency_histogram();

  /// Records one duration; negative durations count as zero.
  void observe(std::chrono::nanoseconds duration) noexcept;

  /// Copies the current counts (sum in seconds).
  histogram_snapshot snapshot() const;

private:
  histogram_cells cells_;
};

/// Sizes (rows, messages) from 1 to 1024 in powers of two, for batches that
/// `storage_writer` caps at 1024 rows of a kind.
class count_histogram {
public:
  /// The upper bounds of the buckets.
  static constexpr std::array<double, 11> bucket_bounds{
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  count_histogram();

  /// Records one size.
  void observe(uint64_t value) noexcept;

  /// Copies the current counts.
  histogram_snapshot snapshot() const;

private:
  histogram_cells cells_;
};

} // namespace caf_cluster
