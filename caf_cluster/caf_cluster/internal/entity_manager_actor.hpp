// The protocols of the actors that run things in shards: every one of them is
// a shard participant (the shard manager stops shards on it and shuts it
// down); entity managers also take sends and recovered stored messages.
//
// shard_participant_actor
// ~~~
// stop_shard_atom, int32_t index, caf::timespan grace -> (nothing)
//     Stops what runs in shard `index` of the entity group: waiting sends
//     go on to the shard's next owner, running work gets `grace` to finish,
//     then is killed. Answered once nothing of the shard is left here.
// shutdown_atom
//     Refuses new work, lets accepted work finish (bounded by the
//     termination timeout), stops everything and quits.
// ~~~
//
// entity_manager_actor (one per entity type and runner) adds
// ~~~
// deliver_atom, detail::entity_send -> the entity's reply, or an error
//     Admits the send when the shard serves here (else hands it to the
//     router, or refuses it, see `entity_send::may_reroute`), stores it
//     first when its type is persisted, and runs it after the entity's
//     earlier messages.
// recover_atom, std::vector<storage::request_row> -> (nothing)
//     Stored, unprocessed messages of this type claimed for shards this
//     runner owns; they run oldest first, after what is queued for their
//     entity. Rows of a shard that may not run here (any more), of a message
//     queued here already, or of an entity whose killed activation still
//     runs stay stored for the next claim. Answered once they are queued.
// ~~~
#pragma once

#include <cstdint>
#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/detail/send.hpp"
#include "caf_cluster/detail/storage_writer_actor.hpp"

namespace caf_cluster::internal {

/// Stops what runs in one shard.
using stop_shard_atom = caf::atom_constant<caf::atom("cc_stopshd")>;

/// Stops everything and quits.
using shutdown_atom = caf::atom_constant<caf::atom("cc_shutdn")>;

/// Hands stored messages to their entity manager.
using recover_atom = caf::atom_constant<caf::atom("cc_recover")>;

/// What the shard manager asks of every actor that runs things in shards.
using shard_participant_actor = caf::typed_actor<
  caf::replies_to<stop_shard_atom, int32_t, caf::timespan>::with<void>,
  caf::reacts_to<shutdown_atom>>;

/// An entity manager.
using entity_manager_actor = shard_participant_actor::extend<
  caf::reacts_to<deliver_atom, detail::entity_send>,
  caf::replies_to<recover_atom, std::vector<storage::request_row>>::with<void>>;

} // namespace caf_cluster::internal
