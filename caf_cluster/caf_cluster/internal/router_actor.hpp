// The protocol of the router: one per clustered runner (and client-only
// node). It takes sends for shards this runner does not serve, finds the
// owner in the assignment table the shard manager gives it, delivers over the
// transport in batches and retries with back-off while shards move, until the
// sender's deadline. It is also the actor peers reach (the transport
// publishes it): their batches go to the local managers.
//
// From this runner (control messages: taken only from actors of this
// process that no peer can pose as, see local_sender.hpp; others are dropped
// and logged, and a request among them is answered with `forbidden`):
// ~~~
// deliver_atom, detail::entity_send -> the entity's reply, or an error
//     (also from anyone who reaches the port: an entity message; a send from
//     outside this process is held to the id and payload limits first)
// assignments_atom, std::string group, std::vector<std::string> owners,
// int32_t live_runners
//     The runner serving each shard of `group` (index - 1; "" for none yet)
//     and the number of live runners in storage, from the shard manager
//     whenever either changes (from no other actor), for every group a live
//     runner hosts. With no live
//     runner a send to a shard without owner fails at once with
//     `runner_unavailable`.
// address_atom, std::string address, shard_manager_actor
//     This runner's advertised address ("" on a client-only node) and its
//     shard manager, told when a peer's connection breaks; sent once, by
//     that shard manager itself when it starts.
// shutdown_atom
//     Fails the sends still on their way with `shutting_down` and quits.
// ~~~
// Exit messages (also `kill`) and error messages stop the router only when
// they come from an actor of this process; its shard manager monitors it and
// takes the runner out of the cluster when it stops outside a leave.
//
// From peer routers, over the transport (entity traffic: from anyone who
// reaches the port without TLS):
// ~~~
// deliver_batch_atom, std::vector<envelope>
//     Sends for shards the peer believes this runner serves; the replies go
//     back to the peer as one reply_batch per turn. Envelopes beyond the id
//     and payload limits are answered with the limit's error.
// reply_batch_atom, std::vector<reply_envelope>
//     Replies to this router's envelopes; taken only from the peers this
//     router connected to.
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

/// The owners of one shard group's shards.
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
  caf::reacts_to<assignments_atom, std::string, std::vector<std::string>,
                 int32_t>,
  caf::reacts_to<address_atom, std::string, shard_manager_actor>,
  caf::reacts_to<shutdown_atom>,
  caf::reacts_to<deliver_batch_atom, std::vector<envelope>>,
  caf::reacts_to<reply_batch_atom, std::vector<reply_envelope>>>;

} // namespace caf_cluster::internal
