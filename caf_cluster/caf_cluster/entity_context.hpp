// What an entity's behaviour gets besides its `self` pointer: who it is and a
// way back into the cluster (clients for other entities, snowflake ids, time),
// so entity code never reaches for globals.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "caf/expected.hpp"

#include "caf_cluster/entity_address.hpp"
#include "caf_cluster/snowflake.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster {

class sharding;

namespace internal {
struct runtime;
} // namespace internal

/// Context of one entity activation.
class entity_context {
public:
  /// @private Created by the entity manager; `epoch` is the lease epoch
  /// of the message the entity handles now, set by the manager before it
  /// hands each message over.
  entity_context(entity_address address, std::weak_ptr<internal::runtime> state,
                 std::shared_ptr<const std::atomic<int64_t>> epoch = nullptr);

  /// Returns the address (type, id, shard) of this entity.
  const entity_address& address() const noexcept {
    return address_;
  }

  /// Returns the sharding service this entity runs in, e.g. to make clients
  /// for other entities; empty once the service is gone (during teardown).
  /// Keep clients rather than this handle in entity state: clients hold the
  /// service weakly, the handle keeps it alive.
  std::optional<sharding> cluster() const;

  /// Returns a cluster-unique id from this runner's snowflake generator.
  snowflake next_snowflake() const;

  /// Returns the runtime's wall clock in milliseconds since the Unix epoch
  /// (a manual clock in deterministic tests).
  int64_t now_ms() const;

  /// Returns the fence of the message this entity handles now: its shard
  /// (`"group:index"`, in the type's shard group) and the lease epoch under
  /// which this runner took the message on, the one the runtime stores its
  /// reply (and durable state) with. Writes of the entity's own fenced by it
  /// fail once a newer owner of the shard exists. For a volatile message it
  /// is the shard's epoch when the message was handed to the entity; a
  /// single runner, which leases nothing, uses epoch 0 (which storage
  /// accepts while no runner holds a lease on the shard). Valid from inside
  /// the entity's handlers (before the first message: the epoch at
  /// activation). Fails with `errc::invalid_argument` for a context the
  /// entity manager did not make.
  caf::expected<storage::fence> fence() const;

private:
  entity_address address_;
  std::weak_ptr<internal::runtime> state_;
  std::shared_ptr<const std::atomic<int64_t>> epoch_;
};

} // namespace caf_cluster
