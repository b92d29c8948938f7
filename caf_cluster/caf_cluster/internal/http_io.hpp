// The Boost.Beast side of the HTTP transport: the same job as ws_io (whole
// frames between connections and actors, behind the interface of ws_io.hpp)
// over plain HTTP/1.1 keep-alive requests, for networks that pass HTTP but
// not connection upgrades. HTTP answers only what was asked, while a router
// answers a batch whenever its entities reply, so a client session is two
// connections tied by a random session id: one POSTs batches of sends to
// `/caf-cluster/send` (length-prefixed frames, every batch queued while the
// last POST was out; answered `204` at once), the other keeps a long poll
// on `/caf-cluster/poll` open, answered with the replies as soon as there
// are some (`200`, length-prefixed frames) or `204` after a few seconds.
#pragma once

#include <memory>

#include "caf_cluster/internal/ws_io.hpp"

namespace caf_cluster::internal {

/// Starts an I/O thread for the HTTP transport enforcing `limits`: frames
/// (request bodies) up to `max_frame_size`, `max_connections` accepted TCP
/// connections (a client session uses two), `handshake_timeout` for the
/// first request of a connection, and `idle_timeout` for a session without
/// any request (clients poll again at least every 5 s).
std::shared_ptr<ws_io> make_http_io(ws_limits limits);

} // namespace caf_cluster::internal
