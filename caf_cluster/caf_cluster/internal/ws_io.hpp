// The Boost.Beast side of the WebSocket transport: one I/O thread that
// accepts and opens WebSocket connections and moves whole binary frames
// between them and CAF actors. Beast's headers stay in ws_io.cpp (they cost
// seconds per translation unit); actors see a connection only as this small
// thread-safe interface plus the atoms below.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/atom.hpp"
#include "caf/expected.hpp"

namespace caf_cluster::internal {

/// Tells a client connection's owner that the handshake is done: `(ws_open)`.
using ws_open_atom = caf::atom_constant<caf::atom("ws_open")>;

/// Carries one received binary frame: `(ws_frame, std::vector<char>)`.
using ws_frame_atom = caf::atom_constant<caf::atom("ws_frame")>;

/// Tells a connection's owner that it is gone: `(ws_closed, std::string)`
/// with the reason; sent once, and nothing follows it.
using ws_closed_atom = caf::atom_constant<caf::atom("ws_closed")>;

/// Bounds on every connection of one `ws_io`.
struct ws_limits {
  /// Largest frame read from a peer, in bytes; a larger one closes the
  /// connection.
  size_t max_frame_size = 4 * 1024 * 1024;
  /// Accepted connections open at once; further ones are closed at accept.
  size_t max_connections = 256;
  /// Time from TCP accept or connect to the end of the WebSocket handshake.
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds{5};
  /// A connection that receives nothing (not even a pong to its pings) this
  /// long is closed.
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds{15};
};

/// One WebSocket connection, accepted or opened; safe to use from any thread.
class ws_connection {
public:
  virtual ~ws_connection();

  /// Queues `frame` to go out as one binary WebSocket message; frames of one
  /// connection leave in the order of the calls.
  virtual void write(std::vector<char> frame) = 0;

  /// Closes the connection; its owner then gets `ws_closed` (unless it had
  /// it already). Idempotent.
  virtual void close() = 0;
};

/// A connection shared between the I/O thread and its owning actor.
using ws_connection_ptr = std::shared_ptr<ws_connection>;

/// Called on the I/O thread for each connection that completed its
/// handshake; returns the actor that gets its frames and its `ws_closed`.
using ws_accept_handler = std::function<caf::actor(ws_connection_ptr)>;

/// The I/O thread with its listener and connections.
class ws_io {
public:
  virtual ~ws_io();

  /// Listens on `host:port` (port 0 = any) and hands each accepted
  /// connection to `f`; returns the bound port or why it cannot listen.
  virtual caf::expected<uint16_t>
  listen(const std::string& host, uint16_t port, ws_accept_handler f) = 0;

  /// Stops accepting; open connections stay. Idempotent.
  virtual void stop_listening() = 0;

  /// Opens a connection to `host:port`; `owner` gets `ws_open`, then
  /// `ws_frame`s, and `ws_closed` once (also when opening fails). Frames
  /// written before `ws_open` wait for it.
  virtual ws_connection_ptr connect(const std::string& host, uint16_t port,
                                    caf::actor owner)
    = 0;

  /// Closes every connection and the listener and joins the I/O thread;
  /// connections still referenced afterwards ignore writes. Idempotent.
  virtual void shutdown() = 0;
};

/// Starts an I/O thread enforcing `limits`.
std::shared_ptr<ws_io> make_ws_io(ws_limits limits);

} // namespace caf_cluster::internal
