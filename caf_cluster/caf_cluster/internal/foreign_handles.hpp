// Actor handles of other nodes inside the frames of the WebSocket and HTTP
// transports. These transports carry sends to entities and their replies, not
// messages to arbitrary actors, so a handle inside a message (a workflow
// client's watcher, a `caf::actor` field of a user's message) arrives as a
// stand-in: a request to it fails at once with `errc::unsupported`, anything
// else sent to it is dropped. Without a proxy registry, CAF 0.17 decodes a
// message holding such a handle as an empty message, without an error, which
// its entity then refuses with `unexpected_message`.
#pragma once

#include <memory>

#include "caf/fwd.hpp"

namespace caf_cluster::internal {

/// The stand-ins for the foreign actor handles decoded on one connection.
/// They stop answering (messages to them are dropped) once it is destroyed.
class foreign_handles {
public:
  explicit foreign_handles(caf::actor_system& sys);

  ~foreign_handles();

  foreign_handles(const foreign_handles&) = delete;

  foreign_handles& operator=(const foreign_handles&) = delete;

  /// The context to decode frames in (`decode_frame`).
  caf::execution_unit* context() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace caf_cluster::internal
