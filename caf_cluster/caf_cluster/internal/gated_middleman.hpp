// A middleman actor whose connections pass through our own accepting layer
// inside CAF's multiplexer, ahead of the BASP broker: every inbound byte is
// read as BASP frames first (an unknown operation or a payload above the
// limit closes the connection before the broker buffers anything), accepted
// connections are counted and capped, a handshake that does not arrive in
// time closes the connection, and with TLS every connection is an OpenSSL
// session that requires a certificate of the cluster's CA.
#pragma once

#include <memory>

#include "caf/fwd.hpp"
#include "caf/io/middleman_actor.hpp"

#include "caf_cluster/internal/connection_gate.hpp"

namespace caf_cluster::internal {

/// Spawns a hidden middleman actor over `sys`'s BASP broker whose
/// connections obey `gate`; with `tls`, over CAF's OpenSSL sessions.
/// @pre `sys` has a middleman; with `tls`, also CAF's OpenSSL manager.
caf::io::middleman_actor
spawn_gated_middleman(caf::actor_system& sys,
                      std::shared_ptr<connection_gate> gate, bool tls);

} // namespace caf_cluster::internal
