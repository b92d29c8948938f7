// The deadline watch of a shard participant. A shard may run only until a
// deadline one refresh interval before its lease can expire; the shard
// manager moves the deadline with every refresh. A participant must stop what
// it runs in a shard once that deadline passes even when nobody tells it (the
// shard manager hangs in a storage call, or is frozen): the guard keeps one
// timer at the earliest deadline of the shards the participant occupies.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "caf/atom.hpp"

#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// Timer `(seq)` of a lease guard.
using lease_check_atom = caf::atom_constant<caf::atom("cc_lease")>;

/// One timer at the earliest serving deadline of some shards.
class lease_guard {
public:
  /// Makes sure `(lease_check_atom, seq)` reaches `self` by the earliest
  /// deadline of the shards `occupied` of group `g` (at once for one that
  /// passed already); nothing on a node that owns every shard forever or
  /// when `occupied` is empty.
  template <class Self>
  void arm(Self* self, const shard_table& table, const wall_clock& clock,
           const std::vector<int32_t>& occupied, size_t g = 0) {
    int64_t earliest = shard_table::always;
    for (auto index : occupied)
      earliest = std::min(earliest, table.until(index, g));
    arm_at(self, clock, earliest);
  }

  /// Like `arm` for one shard.
  template <class Self>
  void arm(Self* self, const shard_table& table, const wall_clock& clock,
           int32_t index, size_t g = 0) {
    arm_at(self, clock, table.until(index, g));
  }

  /// Returns whether timer `seq` is the current one (older timers are
  /// ignored); the next `arm` then sets a new one.
  bool fired(uint64_t seq) noexcept {
    if (seq != seq_)
      return false;
    pending_ = false;
    return true;
  }

private:
  template <class Self>
  void arm_at(Self* self, const wall_clock& clock, int64_t earliest) {
    if (earliest == shard_table::always)
      return;
    if (pending_ && at_ <= earliest)
      return; // a check comes earlier already
    pending_ = true;
    at_ = earliest;
    auto delay = std::max(int64_t{0}, earliest - clock.now_ms());
    self->delayed_send(self, std::chrono::milliseconds{delay},
                       lease_check_atom::value, ++seq_);
  }

  bool pending_ = false;
  int64_t at_ = 0; // deadline of the pending timer (ms)
  uint64_t seq_ = 0;
};

} // namespace caf_cluster::internal
