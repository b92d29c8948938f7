// The two actors at the ends of a WebSocket connection between runners. A
// router talks to them as it talks to a peer's router over BASP: the proxy
// stands for the peer's router on the connecting side, the ingress actor
// stands for the connecting router on the accepting side, and each passes
// frames on as its own messages, so the router's checks on senders (replies
// only from the handles it connected to) hold unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/internal/ws_io.hpp"

namespace caf_cluster::internal {

/// Spawns the actor serving the accepted connection `conn`: it passes each
/// batch of sends to `router` with itself as the sender and writes the
/// router's reply batches back. Any other frame closes the connection. The
/// actor quits when the connection closes or `router` goes down.
caf::actor spawn_ws_ingress(caf::actor_system& sys, const caf::actor& router,
                            ws_connection_ptr conn);

/// Spawns the stand-in for the router at `host:port` and opens a connection
/// to it on `io`. It answers `(connect_atom)` with itself once the
/// connection is open (or with `errc::runner_unavailable`), writes the batches
/// of sends `router` gives it and passes the peer's reply batches to `router`
/// as their sender. It quits when the connection breaks (the router sees a
/// down message) or `router` goes down.
caf::actor spawn_ws_proxy(caf::actor_system& sys, const caf::actor& router,
                          ws_io& io, const std::string& host, uint16_t port);

} // namespace caf_cluster::internal
