// The protocol of the singleton manager: one per runner, it runs the
// registered singletons whose shard this runner serves and reaches them by
// name. It is a shard participant (see entity_manager_actor.hpp).
//
// ~~~
// deliver_atom, detail::entity_send -> the singleton's reply, or an error
//     A message for the singleton named `entity_id` (entity type
//     `singleton_entity_type`): forwarded to its instance here, handed to
//     the router when it runs elsewhere, or refused.
// add_singleton_atom, std::string name, int32_t shard, singleton_factory
//     Runs a new singleton whenever shard `shard` serves here.
// held_atom
//     Shards started serving here: start their singletons (they stop
//     through stop_shard, or at their shard's deadline).
// ~~~
#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/detail/entity_factory.hpp"
#include "caf_cluster/internal/entity_manager_actor.hpp"

namespace caf_cluster::internal {

/// Registers a singleton.
using add_singleton_atom = caf::atom_constant<caf::atom("cc_addsgl")>;

/// Tells the singleton manager to look at the shard table again.
using held_atom = caf::atom_constant<caf::atom("cc_held")>;

/// The singleton manager.
using singleton_manager_actor = shard_participant_actor::extend<
  caf::reacts_to<deliver_atom, detail::entity_send>,
  caf::reacts_to<add_singleton_atom, std::string, int32_t,
                 detail::singleton_factory>,
  caf::reacts_to<held_atom>>;

} // namespace caf_cluster::internal
