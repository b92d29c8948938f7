// The one record of which shards this runner owns. The shard manager writes it
// (lease acquired, recovered, refreshed, given up); entity managers, the
// singleton manager, the recovery actor and clients read it on every message
// without a lock. A shard is served only until a deadline one refresh interval
// before its lease can expire, so a runner whose refreshes stall (a storage
// call that hangs, a frozen shard manager) stops on time: the readers enforce
// the deadline themselves.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// Where a shard stands on this runner.
enum class shard_state : uint8_t {
  /// Not leased here.
  unowned = 0,
  /// Leased; its stored messages are being handed to the entity managers.
  /// They may run; new sends are not admitted yet.
  recovering = 1,
  /// Leased and recovered: everything runs.
  serving = 2,
  /// Leased, but its entities are stopping (it moves, or its lease is lost).
  draining = 3,
};

/// Returns the name of `x`, e.g. `"serving"`.
const char* to_string(shard_state x) noexcept;

/// Ownership of the shards of the groups this runner hosts; the first group
/// is the entity group (the default group of entity types, and singletons').
class shard_table {
public:
  /// A deadline that never passes (a single runner owns every shard).
  static constexpr int64_t always = (int64_t{1} << 56) - 1;

  /// The position of a group this runner does not host: it owns none of
  /// its shards.
  static constexpr size_t not_hosted = static_cast<size_t>(-1);

  /// Creates a table of `groups` with `count` shards each, all unowned, or
  /// all serving forever when `own_everything` (a single runner).
  shard_table(std::vector<std::string> groups, int32_t count,
              bool own_everything);

  /// Returns the number of shards per group.
  int32_t size() const noexcept {
    return count_;
  }

  /// Returns the hosted groups.
  const std::vector<std::string>& groups() const noexcept {
    return groups_;
  }

  // -- readers (any thread) --------------------------------------------------

  /// Returns the state of shard `index` (1-based) of group `g`.
  shard_state state(int32_t index, size_t g = 0) const noexcept;

  /// Returns until when what runs in shard `index` of group `g` may run
  /// (ms since the epoch; 0 when not owned or lost, `always` on a single
  /// runner). A draining shard keeps its deadline: its entities finish
  /// under a lease that still holds.
  int64_t until(int32_t index, size_t g = 0) const noexcept;

  /// Returns the lease epoch of shard `index` of group `g` (0: never leased
  /// here), the fencing token of writes made on its behalf.
  int64_t epoch(int32_t index, size_t g = 0) const noexcept;

  /// Returns whether shard `index` of group `g` takes new sends now:
  /// serving, before its deadline. A group not hosted here (`g` out of
  /// range, e.g. `not_hosted`) has no shard that does.
  bool active(int32_t index, const wall_clock& clock,
              size_t g = 0) const noexcept;

  /// Returns whether entities of shard `index` of group `g` may run now:
  /// recovering or serving, before its deadline.
  bool may_run(int32_t index, const wall_clock& clock,
               size_t g = 0) const noexcept;

  /// Returns whether nothing may run in shard `index` of group `g` any
  /// more, not even work that is finishing: its deadline passed (or it was
  /// lost), or it is not owned.
  bool lapsed(int32_t index, const wall_clock& clock,
              size_t g = 0) const noexcept;

  // -- the shard manager -----------------------------------------------------

  /// Records a new lease with `epoch`, running until `until_ms` (recovering).
  void acquire(int32_t index, int64_t epoch, int64_t until_ms,
               size_t g = 0) noexcept;

  /// Marks a recovering shard serving.
  void serve(int32_t index, size_t g = 0) noexcept;

  /// Moves the deadline of an owned shard to `until_ms`.
  void extend(int32_t index, int64_t until_ms, size_t g = 0) noexcept;

  /// Starts stopping the shard (it moves): nothing new runs, running work
  /// may finish before the deadline.
  void drain(int32_t index, size_t g = 0) noexcept;

  /// Stops the shard at once (its lease is lost): nothing may run.
  void lose(int32_t index, size_t g = 0) noexcept;

  /// Forgets the shard (its lease went back or lapsed).
  void release(int32_t index, size_t g = 0) noexcept;

  /// Stops shard `index` of group `g` from running if its lease still has
  /// `epoch` (storage refused a write under it: a newer owner exists). Safe
  /// from any thread.
  /// @returns whether this call stopped it (it could run until now).
  bool fence(int32_t index, int64_t epoch, size_t g = 0) noexcept;

  /// Returns the position of `group` among the hosted groups, or
  /// `not_hosted`.
  size_t position(const std::string& group) const noexcept;

  /// Stops every shard at once (a crash in the deterministic tests).
  void lose_all() noexcept;

private:
  // One word per shard: the state in the top byte, the deadline below it,
  // so readers see both from one load.
  static uint64_t pack(shard_state st, int64_t until) noexcept {
    return (static_cast<uint64_t>(st) << 56)
      | (static_cast<uint64_t>(until) & ((uint64_t{1} << 56) - 1));
  }

  size_t slot(int32_t index, size_t g) const noexcept;

  uint64_t load(int32_t index, size_t g) const noexcept;

  void store(int32_t index, size_t g, uint64_t word) noexcept;

  template <class F>
  void update(int32_t index, size_t g, F f) noexcept;

  std::vector<std::string> groups_;
  int32_t count_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::unique_ptr<std::atomic<int64_t>[]> epochs_;
};

/// How many things (entities, stopping entities, waiting senders) an actor
/// has in each shard of its group, so that the shard manager asks
/// only the actors with something in a shard to stop it. Written by its
/// actor, read by the shard manager.
class shard_occupancy {
public:
  /// Creates counters for `count` shards.
  explicit shard_occupancy(int32_t count);

  /// Counts one more thing in shard `index`.
  void enter(int32_t index) noexcept;

  /// Counts one thing less in shard `index`.
  void leave(int32_t index) noexcept;

  /// Returns whether anything is in shard `index`.
  bool occupied(int32_t index) const noexcept;

  /// Returns the shards with something in them.
  std::vector<int32_t> occupied_shards() const;

private:
  int32_t count_;
  std::unique_ptr<std::atomic<int32_t>[]> counts_;
};

} // namespace caf_cluster::internal
