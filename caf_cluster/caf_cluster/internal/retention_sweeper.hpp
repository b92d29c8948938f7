// Bounded message storage: a runner deletes the processed persisted messages
// (and their replies) of the entity types it registered once their retention
// has passed, in small batches off the hot path. Every runner sweeps on its
// own: expiry is idempotent and each batch is one short transaction, so
// runners sweeping at once delete each row once and merely find less to do.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::internal {

class entity_registry;

/// Returns the retention rules of a sweep: one per entity type with persisted
/// messages registered in `registry` and per type named in `by_type` (the
/// parsed `cluster.message-retention-by-type`), whose retention is its
/// `by_type` entry, else its registration's, else `cfg.message_retention`.
/// Types kept for ever are left out, as are types this runner does not know:
/// a sweep passes a negative default, so it never deletes what it has no
/// rule for.
std::vector<storage::retention_rule>
retention_rules(const sharding_config& cfg,
                const std::map<std::string, caf::timespan>& by_type,
                const entity_registry& registry);

/// Spawns the sweeper of `node` over `driver`: every
/// `cluster.retention-sweep-interval` it expires batch after batch of
/// `cluster.retention-batch-size` rows (a message to itself between two
/// batches lets other work in) until nothing is due. Failures are logged and
/// retried at the next sweep; a backend without expiry is said once. It stops
/// when `writer` (the runner's storage writer) stops. `detached` runs it on a
/// thread of its own, as storage calls block.
caf::actor
spawn_retention_sweeper(caf::actor_system& sys, node_ptr node,
                        std::shared_ptr<storage::message_driver> driver,
                        caf::actor writer, bool detached);

} // namespace caf_cluster::internal
