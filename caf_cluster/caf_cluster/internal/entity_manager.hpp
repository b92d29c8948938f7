// The entity manager: one actor per entity type and runner. It activates
// entities on their first message, feeds each entity one message at a time in
// arrival order, bounds its mailbox, and passivates it after max_idle.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/atom.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/metrics.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

struct sharding_state;

/// Spawns one entity actor (monitored by `manager`) for `ctx.address()`.
using entity_factory =
  std::function<caf::actor(caf::event_based_actor* manager, entity_context ctx)>;

/// Everything an entity manager needs to know about its type.
struct entity_manager_config {
  /// The entity type name.
  std::string entity_type;
  /// Shard group of this type's entities.
  std::string shard_group = "default";
  /// Shards per group, for computing entity addresses.
  int32_t shards_per_group = 300;
  /// Resolved passivation timeout.
  caf::timespan max_idle{0};
  /// Resolved mailbox bound per entity.
  int64_t mailbox_capacity = 0;
  /// When true, entities are never passivated.
  bool keep_alive = false;
  /// Bound on a graceful stop of this manager's entities.
  caf::timespan termination_timeout{0};
  /// Creates entity actors.
  entity_factory factory;
  /// Live counters shared with the sharding service.
  std::shared_ptr<entity_type_counters> counters;
  /// The sharding service, for entity contexts (weak: no ownership cycle).
  std::weak_ptr<sharding_state> sharding;
  /// Which shards of `shard_group` this runner serves now.
  std::shared_ptr<shard_table> shards;
  /// The clock the shard table's deadlines refer to.
  std::shared_ptr<wall_clock> clock;
  /// Where messages for shards served elsewhere go; null on a single runner.
  caf::actor router;
  /// Routing bound for messages sent without a timeout (`tell`).
  caf::timespan send_timeout{0};
  /// Message types stored before delivery.
  std::vector<persisted_message> persisted;
  /// Whether entities keep durable state in message storage.
  bool durable = false;
  /// The message storage writer; null without message storage.
  caf::actor writer;
  /// See `sharding_config::message_claim_timeout`.
  caf::timespan claim_timeout{0};
};

/// `(recover_atom, std::vector<storage::request_row>)` -> `caf::unit`:
/// stored persisted messages of this manager's type for it to deliver
/// (skipping those it holds already); for shards not served yet they wait
/// for `resume_atom`.
using recover_atom = caf::atom_constant<caf::atom("cc_recover")>;

/// `(resume_atom, std::vector<int32_t> shard_indexes)`: these shards are
/// served now; deliver the messages recovered for them.
using resume_atom = caf::atom_constant<caf::atom("cc_resume")>;

/// Spawns an entity manager.
caf::actor spawn_entity_manager(caf::actor_system& sys,
                                entity_manager_config cfg);

/// Makes entity actors turn exceptions into an `errc::entity_failed` exit
/// reason instead of CAF's default (which prints to stderr), so the caller
/// gets a cluster error and the manager re-activates the entity later.
void install_entity_exception_handler(caf::scheduled_actor* self,
                                      const entity_address& address);

} // namespace caf_cluster::internal
