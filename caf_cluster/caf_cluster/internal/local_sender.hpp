// Who may send a runner's actors control messages. CAF's network layer (BASP)
// delivers a peer's message with the sender the peer names: a proxy of one of
// its own actors, or any actor of this process that is in CAF's registry
// (every actor that ever sent something over the network, the router first).
// An actor of this process that never talked to the network cannot be named
// by a peer, so control messages are taken only from such actors, or from
// the one actor a handler knows by handle.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "caf/exit_reason.hpp"
#include "caf/fwd.hpp"
#include "caf/scoped_actor.hpp"

#include "caf_cluster/internal/logger.hpp"

namespace caf_cluster::internal {

/// Returns whether `x` is an actor of `self`'s process that no peer can pose
/// as: not null, on this node, not `self`, and not in the actor registry.
bool local_sender(const caf::local_actor* self, const caf::strong_actor_ptr& x);

/// Sends `xs` to `dest` from an actor of this process (a temporary one):
/// control messages from no actor at all are refused, as a peer's anonymous
/// messages are.
template <class Handle, class... Ts>
void send_locally(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::scoped_actor self{sys, true};
  self->send(dest, std::forward<Ts>(xs)...);
}

/// Sends `dest` an exit message with `reason` from an actor of this process.
template <class Handle>
void exit_locally(caf::actor_system& sys, const Handle& dest,
                  caf::exit_reason reason) {
  caf::scoped_actor self{sys, true};
  self->send_exit(dest, reason);
}

/// Logs control messages dropped because of their sender: per kind of
/// message the first one and then every power of two, so that a flood does
/// not flood the log. Safe to use from any thread (an actor's `enqueue` runs
/// on the sender's).
class refusal_log {
public:
  /// Counts a dropped `what` from `from` and logs it at warning if due.
  void dropped(const logger& log, const char* what,
               const caf::strong_actor_ptr& from);

private:
  std::mutex mtx_;
  std::map<std::string, uint64_t> counts_; // by kind
};

} // namespace caf_cluster::internal
