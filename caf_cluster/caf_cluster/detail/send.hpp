// One send to an entity as it travels inside a runner and between runners:
// who it is for, the shard it belongs to (computed once, where the send enters
// the cluster), the payload and the send's identity. Public templates (the
// entity clients) build it; everything else only passes it on.
#pragma once

#include <cstdint>
#include <string>

#include "caf/message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/timespan.hpp"

namespace caf_cluster::detail {

/// The identity and schedule of one send. The identity makes retries of one
/// send recognisable, so a persisted message is processed once per send even
/// when the router retries it at another runner.
struct delivery {
  /// The send's id: a snowflake of the node where the send entered the
  /// cluster (0 for a volatile message, which needs none). Retries keep it.
  int64_t request_id = 0;

  /// A random number of that node, so that ids of nodes without a runner
  /// registration (client-only nodes share machine id 0) never collide.
  uint64_t origin = 0;

  /// The first instant (ms since the epoch, the cluster's clock) at which a
  /// persisted message may be delivered; 0 delivers at once.
  int64_t deliver_at_ms = 0;

  /// The default primary key of a persisted message: the send's identity.
  std::string default_key() const;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return f(caf::meta::type_name("caf_cluster.delivery"), x.request_id, x.origin,
           x.deliver_at_ms);
}

/// A message for entity `entity_id` of `entity_type`.
struct entity_send {
  /// The entity type.
  std::string entity_type;

  /// The entity's id.
  std::string entity_id;

  /// The shard group of the entity type: set by the client from the
  /// type's definition ("" = the entity group), and by the node where the
  /// send enters the cluster from the registered type (the type's group
  /// decides there), never empty after that.
  std::string shard_group;

  /// The shard of `entity_id` in `shard_group` (1-based), or 0 for an id
  /// that has none (empty or not UTF-8): its receiver answers with the reason.
  int32_t shard_index = 0;

  /// The message for the entity.
  caf::message payload;

  /// Time left until the sender gives up; `timespan::max()` for none (a
  /// `tell`: routers then bound their retries by `cluster.send-timeout`).
  caf::timespan timeout = caf::timespan::max();

  /// The send's identity and schedule.
  delivery meta;

  /// Whether an entity manager that does not serve the shard may hand the
  /// send to its router (a local client's send) rather than refuse it with
  /// `entity_not_assigned_to_runner` (a send its router delivered: the
  /// sending router retries).
  bool may_reroute = true;

  /// Whether the node where the send entered the cluster knows it to be
  /// persisted (the type is registered there, or the client was made from
  /// the entity's definition). Its router may then send it again to a new
  /// owner while an attempt is in flight at a runner that lost the shard,
  /// as storage processes it once per key. Only that node's router reads
  /// it, so it does not travel between runners.
  bool persisted = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_send& x) {
  return f(caf::meta::type_name("caf_cluster.entity_send"), x.entity_type,
           x.entity_id, x.shard_group, x.shard_index, x.payload, x.timeout, x.meta,
           x.may_reroute);
}

} // namespace caf_cluster::detail
