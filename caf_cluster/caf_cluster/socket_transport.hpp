// The socket transport: runners publish their router on a TCP port through
// CAF's middleman (BASP) and peers connect lazily with `connect_atom`. The
// middleman must be loaded before the actor system starts, hence
// `enable_socket_transport` on the configuration.
#pragma once

#include <memory>

#include "caf/fwd.hpp"

#include "caf_cluster/transport.hpp"

namespace caf_cluster {

/// Loads CAF's middleman into `cfg` and registers the routers' envelope types;
/// call before creating the actor system of a socket runner or client, once.
void enable_socket_transport(caf::actor_system_config& cfg);

/// Returns a transport over `sys`'s middleman.
/// @pre `enable_socket_transport` was called on `sys`'s configuration.
std::shared_ptr<transport> make_socket_transport(caf::actor_system& sys);

} // namespace caf_cluster
