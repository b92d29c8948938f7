// The protocol of the recovery actor: one per runner with message storage. It
// claims the stored, unprocessed messages of the shards this runner owns and
// hands each entity manager its rows in one message; on its own timer it
// claims what came due (scheduled messages) or was left behind, for every
// shard that serves here (it reads the shard table).
//
// ~~~
// recover_atom, std::vector<std::string> shards -> (nothing)
//     These shards ("group:index") were just acquired (recovering):
//     claim all their stored messages, also those the previous owner had
//     claimed, and answer once every entity manager has its rows.
// adopt_atom
//     An entity type was registered: hand it the rows claimed for it
//     before it existed here (on a single runner, first claim every stored
//     message of its shard group if the runner did not host it yet).
// ~~~
#pragma once

#include <cstdint>
#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/internal/entity_manager_actor.hpp"

namespace caf_cluster::internal {

/// Hands the rows kept for unregistered types to their new managers.
using adopt_atom = caf::atom_constant<caf::atom("cc_adopt")>;

/// The recovery actor.
using recovery_actor = caf::typed_actor<
  caf::replies_to<recover_atom, std::vector<std::string>>::with<void>,
  caf::reacts_to<adopt_atom>>;

} // namespace caf_cluster::internal
