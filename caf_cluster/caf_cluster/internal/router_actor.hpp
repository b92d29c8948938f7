// The protocol of the router: one per clustered runner (and client-only
// node). It takes sends for shards this runner does not serve, finds the
// owner in the assignment table the shard manager gives it, delivers over the
// transport in batches and retries with back-off while shards move, until the
// sender's deadline. It is also the actor peers reach (the transport
// publishes it): their batches go to the local managers.
//
// From this runner:
// ~~~
// deliver_atom, detail::entity_send -> the entity's reply, or an error
// assignments_atom, std::vector<std::string> owners, int32_t live_runners
//     The runner serving each shard of the entity group (index - 1; "" for
//     none yet) and the number of live runners in storage, from the shard
//     manager whenever either changes. With no live runner a send to a shard
//     without owner fails at once with `runner_unavailable`.
// address_atom, std::string address, shard_manager_actor
//     This runner's advertised address ("" on a client-only node) and its
//     shard manager, told when a peer's connection breaks (sent once both
//     exist).
// shutdown_atom
//     Fails the sends still on their way with `shutting_down` and quits.
// ~~~
// From peer routers, over the transport:
// ~~~
// deliver_batch_atom, std::vector<envelope>
//     Sends for shards the peer believes this runner serves; the replies go
//     back to the peer as one reply_batch per turn.
// reply_batch_atom, std::vector<reply_envelope>
//     Replies to this router's envelopes.
// ~~~
#pragma once

#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/internal/entity_manager_actor.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/shard_manager_actor.hpp"

namespace caf_cluster::internal {

/// The owners of the entity group's shards.
using assignments_atom = caf::atom_constant<caf::atom("cc_assign")>;

/// This runner's advertised address.
using address_atom = caf::atom_constant<caf::atom("cc_addr")>;

/// A batch of envelopes from a peer.
using deliver_batch_atom = caf::atom_constant<caf::atom("cc_batch")>;

/// A batch of replies from a peer.
using reply_batch_atom = caf::atom_constant<caf::atom("cc_replies")>;

/// The router.
using router_actor = caf::typed_actor<
  caf::reacts_to<deliver_atom, detail::entity_send>,
  caf::reacts_to<assignments_atom, std::vector<std::string>, int32_t>,
  caf::reacts_to<address_atom, std::string, shard_manager_actor>,
  caf::reacts_to<shutdown_atom>,
  caf::reacts_to<deliver_batch_atom, std::vector<envelope>>,
  caf::reacts_to<reply_batch_atom, std::vector<reply_envelope>>>;

} // namespace caf_cluster::internal
