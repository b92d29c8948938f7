// The atoms of caf-cluster's public messages. Internal protocols keep their
// atoms beside their actor interfaces (CAF 0.17 atoms hold at most ten
// characters, hence the short names).
#pragma once

#include "caf/atom.hpp"

namespace caf_cluster {

/// Delivers a message to an entity: `(deliver_atom, entity_type, entity_id,
/// caf::message[, caf::timespan timeout])` through `sharding::route`, answered
/// with the entity's reply or an error (`errc::timeout` once `timeout` passed).
using deliver_atom = caf::atom_constant<caf::atom("cc_deliver")>;

} // namespace caf_cluster
