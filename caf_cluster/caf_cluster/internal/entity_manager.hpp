// The entity manager: one actor per entity type and runner (protocol in
// entity_manager_actor.hpp). It activates entities on their first message,
// feeds each entity one message at a time in arrival order, bounds its
// mailbox, passivates it after max_idle, stores persisted messages before
// they run and their replies with the entity's durable state after, and stops
// a shard's entities when the shard moves or its lease runs out.
//
// Its state is split by concern over several files (see
// entity_manager_state.hpp): admission and routing (entity_manager.cpp), the
// per-entity serial queue (entity_queue.cpp), passivation, shard stops and
// shutdown, persisted delivery and durable state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/detail/entity_factory.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/internal/entity_manager_actor.hpp"
#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/metrics.hpp"

namespace caf_cluster::internal {

struct runtime;

/// What an entity manager needs besides its node.
struct entity_manager_config {
  /// The node (config, clock, shard table, ids).
  node_ptr node;
  /// The entity type name.
  std::string entity_type;
  /// The type's shard group (resolved: never empty).
  std::string shard_group;
  /// The position of `shard_group` in the shard table, or
  /// `shard_table::not_hosted`.
  size_t group_slot = 0;
  /// Resolved passivation timeout.
  caf::timespan max_idle{0};
  /// Resolved mailbox bound per entity.
  int64_t mailbox_capacity = 0;
  /// When true, entities are never passivated.
  bool keep_alive = false;
  /// Creates entity actors.
  detail::entity_factory factory;
  /// Live counters shared with the sharding service.
  std::shared_ptr<entity_type_counters> counters;
  /// What this manager has in each shard (read by the shard manager).
  std::shared_ptr<shard_occupancy> occupancy;
  /// Message types stored before delivery.
  std::vector<persisted_message> persisted;
  /// Whether entities keep durable state in message storage.
  bool durable = false;
  /// Message storage; empty without.
  message_storage storage;
  /// Where sends for shards served elsewhere go; null on a single runner.
  router_actor router;
  /// The sharding service, for entity contexts (weak: no ownership cycle).
  std::weak_ptr<runtime> service;
};

/// Spawns an entity manager.
entity_manager_actor spawn_entity_manager(caf::actor_system& sys,
                                          entity_manager_config cfg);

} // namespace caf_cluster::internal
