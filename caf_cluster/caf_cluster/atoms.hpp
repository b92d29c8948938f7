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

} // namespace caf_cluster
