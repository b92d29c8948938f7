// Atoms of the runtime's internal actor protocols. CAF 0.17 atoms hold at most
// ten characters, hence the short names.
#pragma once

#include "caf/atom.hpp"

namespace caf_cluster {

/// Delivers `(entity_type, entity_id, payload[, timeout])` to an entity
/// manager; with a timeout, the manager answers `errc::timeout` when the
/// entity has not replied in time.
using deliver_atom = caf::atom_constant<caf::atom("cc_deliver")>;

/// Timer of an entity manager: answer overdue messages with errc::timeout.
using expire_atom = caf::atom_constant<caf::atom("cc_expire")>;

/// Timer tick of an entity manager: passivate entities idle past max_idle.
using idle_atom = caf::atom_constant<caf::atom("cc_idle")>;

/// Tells an entity manager that one of its entity actors terminated.
using entity_down_atom = caf::atom_constant<caf::atom("cc_down")>;

/// Asks an entity manager to stop its entities and terminate.
using shutdown_atom = caf::atom_constant<caf::atom("cc_shutdn")>;

/// Continues stopping an entity manager's idle entities (one batch each).
using stop_more_atom = caf::atom_constant<caf::atom("cc_stopmor")>;

/// Deadline of a graceful shutdown: stop whatever still runs.
using deadline_atom = caf::atom_constant<caf::atom("cc_deadln")>;

/// Delivers `(entity_type, entity_id, payload, timeout)` to the entity on this
/// runner only: a runner that does not serve the shard answers
/// `errc::entity_not_assigned_to_runner` instead of re-routing (the message
/// peers and the local router send).
using deliver_here_atom = caf::atom_constant<caf::atom("cc_here")>;

/// Asks an entity manager to stop the entities of one shard, `(index,
/// grace)`, and answers once they are gone.
using stop_shard_atom = caf::atom_constant<caf::atom("cc_stopshd")>;

/// Tells a router the owner of every shard of a group.
using assignments_atom = caf::atom_constant<caf::atom("cc_assign")>;

/// Asks a shard manager to re-read runners and leases now (a peer went down).
using recheck_atom = caf::atom_constant<caf::atom("cc_recheck")>;

/// Periodic timer of a shard manager.
using tick_atom = caf::atom_constant<caf::atom("cc_tick")>;

/// Timer of a router: re-route messages whose back-off ended.
using retry_atom = caf::atom_constant<caf::atom("cc_retry")>;

/// Tells a router the address it listens on.
using address_atom = caf::atom_constant<caf::atom("cc_addr")>;

/// Asks a shard manager to wait for the given entity managers to stop, then
/// release every lease and unregister.
using leave_atom = caf::atom_constant<caf::atom("cc_leave")>;

} // namespace caf_cluster
