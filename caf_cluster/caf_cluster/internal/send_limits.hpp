// The bounds on one send: its entity id and its payload. Checked where a send
// enters the cluster (the sender's node) and again where it arrives from
// outside this process (a router's peers), since a hostile sender skips the
// client code.
#pragma once

#include <cstddef>

#include "caf/error.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/detail/send.hpp"
#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster::internal {

/// Returns the bytes `x` takes serialized (what a network or storage gets).
/// Actor handles inside it count only partly (they are not registered for the
/// network by counting).
size_t payload_size(const caf::message& x);

/// Returns `errc::invalid_argument` when the entity id of `x` is longer than
/// `cluster.max-entity-id-length`, `errc::message_too_large` when its payload
/// is larger than `cluster.max-message-size` (both naming the size and the
/// limit), else no error.
caf::error check_send_limits(const detail::entity_send& x,
                             const sharding_config& cfg);

} // namespace caf_cluster::internal
