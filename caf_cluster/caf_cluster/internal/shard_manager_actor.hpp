// The protocol of the shard manager: one per clustered runner, on a thread of
// its own (runner storage calls block). It keeps the runner registered,
// leases the shards the hash ring gives it, writes the shard table, tells the
// router who owns what and asks the recovery actor to hand over the stored
// messages of shards it acquires. Everything else it does on its own timer.
//
// ~~~
// recheck_atom
//     Re-read runners and leases now (the router lost a peer).
// leave_atom, std::vector<shard_participant_actor> participants
//     Graceful leave: once these actors are gone (they were told to shut
//     down), release every lease, unregister and quit.
// ~~~
#pragma once

#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/internal/entity_manager_actor.hpp"

namespace caf_cluster::internal {

/// Re-reads runner storage now.
using recheck_atom = caf::atom_constant<caf::atom("cc_recheck")>;

/// Leaves the cluster.
using leave_atom = caf::atom_constant<caf::atom("cc_leave")>;

/// The shard manager.
using shard_manager_actor = caf::typed_actor<
  caf::reacts_to<recheck_atom>,
  caf::reacts_to<leave_atom, std::vector<shard_participant_actor>>>;

} // namespace caf_cluster::internal
