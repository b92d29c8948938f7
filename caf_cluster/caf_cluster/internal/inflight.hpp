// Sends a router forwarded to a peer that lost the send's shard before it
// answered. A peer frozen by SIGSTOP keeps its connection open: no reply and
// no down message come until it thaws, so without this an ask would wait for
// the whole freeze while new sends already reach the new owner. The router
// learns the loss from an assignment map that names another owner of the
// shard; it gives the peer one retry interval to answer (a runner that hands a
// shard over gracefully answers what it had first), then sends a persisted
// message again to the new owner (storage processes it once per key, so either
// reply is the one reply) and fails a volatile one with `runner_unavailable`
// (running it again could apply it twice). See docs/architecture.md §5.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_clock.hpp"
#include "caf/error.hpp"
#include "caf/fwd.hpp"

namespace caf_cluster::internal {

/// An attempt of a send whose peer lost the shard while the attempt was in
/// flight; kept in the router's job, so it goes with the job (answered, timed
/// out, failed).
struct inflight_loss {
  /// The peer the attempt went to; empty while no loss is known.
  std::string runner;

  /// The attempt. After a persisted send went to the new owner, a reply to
  /// this attempt still settles it (whichever comes first).
  uint32_t attempt = 0;

  /// When the router saw the loss; the peer may answer until one retry
  /// interval later.
  caf::actor_clock::time_point seen;

  /// Whether a loss is known.
  bool known() const noexcept {
    return !runner.empty();
  }
};

/// Whether an attempt in flight at `target` lost its shard `index` (1-based)
/// under the assignment map `owners` (index - 1 -> runner): `target` is a
/// peer (not `self_address`, whose manager answers for itself) that no longer
/// owns the shard.
bool lost_shard(const std::string& target, const std::string& self_address,
                const std::vector<std::string>& owners, int32_t index);

/// The error of a volatile send whose peer lost the shard: `runner_unavailable`
/// naming the entity (`where`), the peer and the shard.
caf::error lost_shard_error(const std::string& where, const std::string& runner,
                            const std::string& group, int32_t index);

/// Whether a late reply to attempt `attempt_no` of a send (not its current
/// attempt) still answers it: the attempt that was in flight when its peer
/// lost the shard, of a persisted send, and not an error (a refusal or a
/// failure of that attempt says nothing about the current one).
bool late_reply_counts(bool persisted, const inflight_loss& loss,
                       uint32_t attempt_no, const caf::message& reply);

} // namespace caf_cluster::internal
