// Which shards of one group this runner may serve right now. The shard manager
// writes it, entity managers read it on every message without a lock: a shard
// is served only until the instant its lease expires, so a runner whose lease
// refreshes stall stops serving on time even before its shard manager reacts.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>

#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// Per-shard serving deadlines of one shard group.
class shard_table {
public:
  /// Serving forever, for the single runner that owns every shard.
  static constexpr int64_t always = std::numeric_limits<int64_t>::max();

  /// Creates a table of `count` shards, all served until `initial`.
  shard_table(int32_t count, int64_t initial)
    : count_(count),
      until_(new std::atomic<int64_t>[static_cast<size_t>(count)]),
      epoch_(new std::atomic<int64_t>[static_cast<size_t>(count)]) {
    for (int32_t i = 0; i < count; ++i) {
      until_[static_cast<size_t>(i)].store(initial, std::memory_order_relaxed);
      epoch_[static_cast<size_t>(i)].store(0, std::memory_order_relaxed);
    }
  }

  /// Returns the number of shards.
  int32_t size() const noexcept {
    return count_;
  }

  /// Returns whether shard `index` (1-based) may be served at `clock`'s now.
  bool active(int32_t index, const wall_clock& clock) const noexcept {
    auto until = load(until_, index);
    return until == always || (until > 0 && until > clock.now_ms());
  }

  /// Returns until when shard `index` may be served (ms since the epoch;
  /// 0: not served, `always`: forever).
  int64_t until(int32_t index) const noexcept {
    return load(until_, index);
  }

  /// Serves shard `index` until `until_ms` (0 stops serving it at once).
  void set(int32_t index, int64_t until_ms) noexcept {
    store(until_, index, until_ms);
  }


  /// Records the lease epoch of shard `index` (the fencing token of writes
  /// made on its behalf); set before the shard starts serving.
  void set_epoch(int32_t index, int64_t epoch) noexcept {
    store(epoch_, index, epoch);
  }

  /// Returns the lease epoch of shard `index` (0: never leased here).
  int64_t epoch(int32_t index) const noexcept {
    return load(epoch_, index);
  }

private:
  using column = std::unique_ptr<std::atomic<int64_t>[]>;

  // Indexes outside 1..count read as 0 and ignore writes.
  int64_t load(const column& xs, int32_t index) const noexcept {
    if (index < 1 || index > count_)
      return 0;
    return xs[static_cast<size_t>(index - 1)].load(std::memory_order_acquire);
  }

  void store(column& xs, int32_t index, int64_t value) noexcept {
    if (index >= 1 && index <= count_)
      xs[static_cast<size_t>(index - 1)].store(value, std::memory_order_release);
  }

  int32_t count_;
  column until_;
  column epoch_;
};

} // namespace caf_cluster::internal
