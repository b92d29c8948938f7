// The WebSocket transport: runners reach each other over WebSocket
// connections (Boost.Beast, binary frames, one I/O thread per runner) instead
// of CAF's BASP, for networks that pass HTTP but not arbitrary TCP protocols
// (proxies, load balancers). Each frame holds one router message in CAF's
// binary format (internal/frame_codec.hpp). The HTTP transport carries the
// same frames in HTTP/1.1 requests. Neither has TLS yet.
#pragma once

#include <memory>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/transport.hpp"

namespace caf_cluster {

/// Returns a WebSocket transport for `sys` with the limits of `cfg`
/// (`max_message_size` plus room for headers per frame, `max_connections`,
/// `handshake_timeout`); connections idle for 15 s (no frame and no pong to
/// the pings sent meanwhile) are closed.
/// @pre The routers' envelope types are registered in `sys`'s configuration
///      (`enable_socket_transport` does it).
/// @returns `errc::invalid_config` when `cfg` names TLS files.
caf::expected<std::shared_ptr<transport>>
make_websocket_transport(caf::actor_system& sys, const sharding_config& cfg);

/// Returns an HTTP transport for `sys`: the WebSocket transport's frames and
/// limits over plain HTTP/1.1, a client session being two keep-alive
/// connections (POSTs of sends, and a long poll for the replies; see
/// internal/http_io.hpp).
/// @pre As for `make_websocket_transport`.
/// @returns `errc::invalid_config` when `cfg` names TLS files.
caf::expected<std::shared_ptr<transport>>
make_http_transport(caf::actor_system& sys, const sharding_config& cfg);

/// Returns the transport `cfg.transport` names: `make_socket_transport`,
/// `make_websocket_transport` or `make_http_transport`.
caf::expected<std::shared_ptr<transport>>
make_configured_transport(caf::actor_system& sys, const sharding_config& cfg);

} // namespace caf_cluster
