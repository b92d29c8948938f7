// The socket transport: runners publish their router on a TCP port through
// CAF's middleman (BASP) and peers connect lazily with `connect_atom`. Both go
// through a middleman actor of our own whose connections are gated ahead of
// BASP (frame size limit, connection cap, handshake deadline, optional mutual
// TLS: internal/gated_middleman.hpp). The middleman must be loaded before the
// actor system starts, hence `enable_socket_transport` (and `enable_tls`) on
// the configuration.
#pragma once

#include <memory>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/transport.hpp"

namespace caf_cluster {

/// Loads CAF's middleman into `cfg` and registers the routers' envelope types;
/// call before creating the actor system of a socket runner or client, once.
void enable_socket_transport(caf::actor_system_config& cfg);

/// Returns a transport over `sys`'s middleman with the limits of `cfg`
/// (`max_message_size`, `max_connections`, `handshake_timeout`) and, when
/// `cfg` names TLS files, mutual TLS.
/// @pre `enable_socket_transport` was called on `sys`'s configuration.
/// @returns `errc::invalid_config` when `cfg` names TLS files that
///          `enable_tls` did not apply to `sys`'s configuration.
caf::expected<std::shared_ptr<transport>>
make_socket_transport(caf::actor_system& sys, const sharding_config& cfg);

} // namespace caf_cluster
