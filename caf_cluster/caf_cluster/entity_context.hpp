// What an entity's behaviour gets besides its `self` pointer: who it is and a
// way back into the cluster (clients for other entities, snowflake ids, time),
// so entity code never reaches for globals.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "caf_cluster/entity_address.hpp"
#include "caf_cluster/snowflake.hpp"

namespace caf_cluster {

class sharding;

namespace internal {
struct runtime;
} // namespace internal

/// Context of one entity activation.
class entity_context {
public:
  /// @private Created by the entity manager.
  entity_context(entity_address address,
                 std::weak_ptr<internal::runtime> state);

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

private:
  entity_address address_;
  std::weak_ptr<internal::runtime> state_;
};

} // namespace caf_cluster
